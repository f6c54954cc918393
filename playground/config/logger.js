const {
  winston,
  formats: { prettyPrint, levelFilter },
} = require('@strapi/logger');

// STRAPI_LOG_LEVEL: the level shown (default http), or several separated by commas ("warn,info").
const levels = (process.env.STRAPI_LOG_LEVEL || 'http').split(',').map((l) => l.trim());
const ORDER = ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'];
const least = levels.reduce((a, b) => (ORDER.indexOf(b) > ORDER.indexOf(a) ? b : a));

module.exports = {
  transports: [
    new winston.transports.Console({
      level: least,
      format: winston.format.combine(
        levelFilter(...levels),
        prettyPrint({ timestamps: 'YYYY-MM-DD hh:mm:ss.SSS' })
      ),
    }),
  ],
};

// ESLint flat config (npm run lint). As Strapi's repositories set it up: @eslint/js and
// typescript-eslint recommended, React hooks rules for the admin panel, and
// eslint-config-prettier last so ESLint leaves formatting to Prettier (.prettierrc).
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/',
      '**/dist/',
      '.tsbuild/',
      'coverage/',
      'docs/',
      'test-results/',
      'playground/build/',
      'playground/.strapi/',
      'playground/.tmp/',
      'playground/public/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // Plugin, scripts and tests run in Node; the CommonJS files are .js.
    languageOptions: { globals: { ...globals.node } },
    rules: {
      // Strapi's APIs (entity rows, query builder, plugin config, ctx) are typed loosely; the
      // glue and the tests keep `any` at that boundary deliberately instead of casting around it.
      '@typescript-eslint/no-explicit-any': 'off',
      // `_`-prefixed names and rest siblings are how the code drops a field or an argument.
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
    },
  },
  {
    files: ['**/*.js'],
    languageOptions: { sourceType: 'commonjs' },
    rules: {
      // CommonJS files load their modules with require().
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  {
    files: ['admin/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: reactHooks.configs.flat.recommended.plugins,
    rules: {
      ...reactHooks.configs.flat.recommended.rules,
      // The pages load their data in an effect that sets a loading flag first (the pattern of
      // Strapi's own admin pages before react-query); that rule targets React Compiler builds.
      'react-hooks/set-state-in-effect': 'off',
    },
  },
  prettier
);

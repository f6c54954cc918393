/** Why a condition was refused or stopped; its message is shown to the admin as is (docs/api.md). */
export class ConditionError extends Error {
  /** Set when a limit stopped the evaluation (rather than an error in the expression). */
  readonly limit?: 'work' | 'time' | 'memory';
  constructor(message: string, limit?: 'work' | 'time' | 'memory') {
    super(message);
    this.name = 'ConditionError';
    if (limit) this.limit = limit;
  }
}

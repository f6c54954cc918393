/**
 * The parts of Jexl 2.3.0 that `parse.ts` drives directly. They are not Jexl's public API, so
 * package.json pins Jexl to that exact version and test/unit/condition-jexl.test.ts fails when
 * their shape changes.
 */
declare module 'jexl/dist/grammar.js' {
  export interface JexlGrammarElement {
    type: string;
    precedence?: number;
  }
  export interface JexlGrammar {
    elements: Record<string, JexlGrammarElement>;
  }
  export function getGrammar(): JexlGrammar;
}

declare module 'jexl/dist/Lexer.js' {
  import type { JexlGrammar } from 'jexl/dist/grammar.js';
  export interface JexlToken {
    type: string;
    value: string | number | boolean;
    /** The source text of the token plus the whitespace after it. */
    raw: string;
  }
  export default class Lexer {
    constructor(grammar: JexlGrammar);
    /** The expression split into elements; joined, they give the expression back. */
    getElements(str: string): string[];
    /** Elements → tokens (whitespace folded into the previous token's `raw`); mutates `elements`. */
    getTokens(elements: string[]): JexlToken[];
  }
}

declare module 'jexl/dist/parser/Parser.js' {
  import type { JexlGrammar } from 'jexl/dist/grammar.js';
  import type { JexlToken } from 'jexl/dist/Lexer.js';
  export default class Parser {
    constructor(grammar: JexlGrammar);
    /** Throws when the token cannot come next. */
    addToken(token: JexlToken): unknown;
    /** The tree, or null without tokens; throws when the expression is unfinished. */
    complete(): unknown;
  }
}

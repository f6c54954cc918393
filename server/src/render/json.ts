/**
 * JSON bodies: render a Nunjucks template, then require the output to be valid JSON, with an
 * error that points at the problem (line, column and an excerpt of the rendered text).
 */
import { RenderError } from './errors';
import type { RenderOptions, TemplateRenderer } from './renderer';

/** The part of TemplateRenderer this module needs (eases testing with a stub). */
export type JsonBodyRenderer = Pick<TemplateRenderer, 'render'>;

/**
 * Finds the offset of the first JSON syntax error in `text` (a small recursive-descent
 * scanner; V8's messages do not always carry a position). Returns `text.length` for a
 * truncated document and -1 if no error is found.
 */
export function findJsonErrorOffset(text: string): number {
  let i = 0;
  const fail = (at: number): never => {
    throw at;
  };
  const ws = (): void => {
    while (
      i < text.length &&
      (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')
    )
      i++;
  };
  const literal = (word: string): void => {
    for (let k = 0; k < word.length; k++, i++) if (text[i] !== word[k]) fail(i);
  };
  const string = (): void => {
    i++; // opening quote
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return;
      }
      if (c < 0x20) fail(i);
      if (c === 0x5c) {
        const e = text[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) fail(i);
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else fail(i);
      } else i++;
    }
    fail(i);
  };
  const number = (): void => {
    const m = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!m) fail(i);
    i += (m as RegExpExecArray)[0].length;
  };
  const value = (depth: number): void => {
    if (depth > 5000) fail(i);
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail(i);
        string();
        ws();
        if (text[i] !== ':') fail(i);
        i++;
        value(depth + 1);
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === '}') {
          i++;
          return;
        } else fail(i);
      }
    } else if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        value(depth + 1);
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === ']') {
          i++;
          return;
        } else fail(i);
      }
    } else if (c === '"') string();
    else if (c === 't') literal('true');
    else if (c === 'f') literal('false');
    else if (c === 'n') literal('null');
    else if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) number();
    else fail(i);
  };
  try {
    value(0);
    ws();
    return i < text.length ? i : -1;
  } catch (at) {
    if (typeof at === 'number') return Math.min(at, text.length);
    throw at;
  }
}

/** "line 3, column 7" and a one-line excerpt around `offset`, with a caret marker. */
export function describeJsonPosition(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  const start = Math.max(0, offset - 30);
  const end = Math.min(text.length, offset + 30);
  const excerpt =
    (start > 0 ? '…' : '') +
    text.slice(start, offset) +
    '⟨here⟩' +
    text.slice(offset, end) +
    (end < text.length ? '…' : '');
  return `line ${line}, column ${column}, near: ${JSON.stringify(excerpt)}`;
}

/**
 * Renders `template` and parses the output as JSON. Rejects with RenderError when rendering
 * fails or with `Template output is not valid JSON: <parse error> at line L, column C, near: "…"`.
 */
export async function renderJsonBody(
  renderer: JsonBodyRenderer,
  template: string,
  context: object,
  opts?: RenderOptions
): Promise<{ body: string; value: unknown }> {
  const body = await renderer.render(template, context, opts);
  try {
    return { body, value: JSON.parse(body) as unknown };
  } catch (err) {
    const reason = (err instanceof Error ? err.message : String(err)).split('\n')[0];
    let offset = findJsonErrorOffset(body);
    if (offset < 0) offset = body.length;
    throw new RenderError(
      `Template output is not valid JSON: ${reason} (${describeJsonPosition(body, offset)})`
    );
  }
}

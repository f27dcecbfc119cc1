/**
 * How user text enters the files a plan writes, inert by construction: one helper per language
 * the generated files are read as (shell, YAML, the harness's Jinja). Nothing in `src/plan` puts
 * a value into a generated file any other way; `test/unit/plan-quoting.test.ts` runs bash on
 * hostile strings and `npm run test:harness` reads the YAML back with the harness's own loader
 * and renders the templates with its own Jinja.
 */

/**
 * A shell word that is exactly `s`: single quotes, inside which bash interprets nothing, with
 * each `'` closed, escaped and reopened. Safe for every byte but NUL, which no shell word can
 * carry (refused).
 */
export function shellQuote(s: string): string {
  if (s.includes('\0')) throw new RangeError('a NUL character cannot be passed to a shell');
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * A double-quoted string in printable ASCII that reads back as exactly `s`, both as a YAML scalar
 * and as a Jinja string literal: `\` and `"` escaped, line feed and tab as `\n` and `\t`, every
 * other character outside U+0020–U+007E as `\xXX`, `\uXXXX` or `\UXXXXXXXX`. YAML reads these
 * escapes, and Jinja decodes a literal with Python's `unicode-escape`, which reads the same ones
 * (after turning raw `\r\n` and `\r` into `\n`, which is why no raw character is left). Raw U+2028,
 * U+2029 and U+0085 would be line breaks to a YAML reader, and DEL or C1 controls are refused by
 * PyYAML's, so none of them is ever written raw.
 */
export function yamlString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === '"') out += '\\"';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (c >= 0x20 && c <= 0x7e) out += ch;
    else if (c <= 0xff) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else if (c <= 0xffff) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += `\\U${c.toString(16).padStart(8, '0')}`;
  }
  return out + '"';
}

/**
 * A finite number as YAML 1.1 (PyYAML) reads a float: with a decimal point, and an exponent's
 * sign written out. `1e-7` alone is a *string* to PyYAML; `1.0e-7` is a float.
 */
export function yamlFloat(x: number): string {
  if (!Number.isFinite(x)) throw new RangeError(`${x} is not a finite number`);
  const [mantissa, exponent] = String(x).split('e');
  const m = mantissa!.includes('.') ? mantissa! : `${mantissa}.0`;
  if (exponent === undefined) return m;
  return `${m}e${exponent.startsWith('-') || exponent.startsWith('+') ? exponent : `+${exponent}`}`;
}

/** A whole number as YAML reads an int. */
export function yamlInt(n: number): string {
  if (!Number.isSafeInteger(n)) throw new RangeError(`${n} is not a whole number`);
  return String(n);
}

/**
 * A Premem Lens template (`{question}`, `{answer}` replaced, every other character literal) as a
 * Jinja template for the harness's `doc_to_text` / `doc_to_target`, which it renders with Jinja.
 * Literal text is written as is only where Jinja cannot read it as anything else (no `{`, `}`,
 * `%`, `#`, nothing outside printable ASCII but the line feed); any other piece becomes a string
 * expression, `{{ "…" }}`, so `{{ 7*7 }}` in a template stays `{{ 7*7 }}` and `{% … %}` never runs.
 */
export function jinjaTemplate(template: string, fields: readonly string[]): string {
  const names = fields.map((f) => `{${f}}`);
  const pattern = new RegExp(`(${names.map((n) => n.replace(/[{}]/g, (c) => `\\${c}`)).join('|')})`);
  return template
    .split(pattern)
    .map((piece, i) => {
      if (i % 2 === 1) return `{{${piece.slice(1, -1)}}}`;
      if (piece === '') return '';
      // A line feed is plain text to the harness's Jinja (keep_trailing_newline=True); a carriage
      // return is not (Jinja turns \r\n into \n), so it goes through a string expression.
      return /^[\x20-\x7e\n]*$/.test(piece) && !/[{}%#]/.test(piece) ? piece : `{{ ${yamlString(piece)} }}`;
    })
    .join('');
}

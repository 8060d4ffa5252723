// A letter's text as nodemailer encodes a text/plain part, taken a line at a time so that what letters of a
// campaign share (every line of the template that has no field in it) is encoded once per run, not once per
// letter. Each rule nodemailer applies to the whole text is a rule about its lines once the text has CRLF line
// ends only (toCrlf): MimeNode's choice of transfer encoding (isPlainText, hasLongerLines at 76, and
// _getTextEncoding's count of Latin letters against other characters) and quoted-printable (encode keeps each
// CRLF literal and encodes whitespace before it; wrap never carries a soft break across a CRLF). So the
// text's verdict is its lines' verdicts put together and its body is its lines' bodies joined:
// test/mail-format.test.ts compares both with nodemailer's over many texts.
import { hasLongerLines, isPlainText } from "nodemailer/lib/mime-funcs/index.js";
import { encode as encodeQuotedPrintable, wrap as wrapQuotedPrintable } from "nodemailer/lib/qp/index.js";

/** What one line tells of the text's transfer encoding, and its quoted-printable form once asked for. */
interface Line {
  /** No character isPlainText refuses. */
  plain: boolean;
  /** Longer than 76 characters between line terminators, as hasLongerLines reads it. */
  long: boolean;
  /** _getTextEncoding's counts: ASCII letters, and controls or characters beyond ASCII. */
  latin: number;
  nonLatin: number;
  /** The line and the CRLF after it, quoted-printable and wrapped at 76 (the last line: without a CRLF). */
  qp?: string;
}

/** The transfer encoding MimeNode picks for a text/plain part, and the part's body under it. */
export interface EncodedText {
  encoding: "" | "7bit" | "quoted-printable" | "base64";
  /** The body as it goes in the message; undefined where nodemailer's would differ (base64, lineLocal). */
  body?: string;
}

/** nodemailer's quoted-printable stream encodes 64 kB at a time, and wraps each slice as it comes. */
const SLICE = 64 * 1024;

/**
 * Whether nodemailer's quoted-printable stream (qp.Encoder) writes this text as wrap(encode(text)), which is
 * what its lines give. The stream wraps each 64 kB slice of the text as it comes, and wraps the whitespace
 * a text ends with apart, once it knows nothing follows; and wrap breaks a last piece of over 51 characters
 * early, at a space. A text over 64 kB, or ending in a space or a tab, may be wrapped otherwise there.
 */
function lineLocal(content: string): boolean {
  const end = content.charCodeAt(content.length - 1);
  if (end === 0x20 || end === 0x09) return false;
  return content.length * 3 <= SLICE || Buffer.byteLength(content) <= SLICE;
}

/**
 * Lines, and their characters, remembered at most before the composer starts again: a campaign's template
 * has tens of lines. Their quoted-printable forms are at most about three times as long, so this holds about
 * a megabyte at most, however long the list.
 */
const REMEMBERED = 512;
const REMEMBERED_CHARACTERS = 1 << 18;
/**
 * A line is remembered once it comes back within this many letters: the template's lines do in every
 * letter of a language, a letter's own (its salutation, its address) never. Remembered for hundreds of
 * letters, each letter's own lines outlived V8's young generation and were copied into the old one, where
 * they stayed until a full collection: 80 MB of `preview --out` at 100,000 letters. The lines of the last
 * few letters die young.
 */
const RECENT_LETTERS = 8;
/** hasLongerLines does not look at a text over 128 kB: it takes it to have longer lines. */
const UNTESTED = 128 * 1024;

export class TextPartEncoder {
  private readonly lines = new Map<string, Line>();
  private characters = 0;
  /** The lines of the last few letters, not remembered (yet), and how many letters they are from. */
  private recent = new Map<string, Line>();
  private recentLetters = 0;

  /** How many lines are remembered from letter to letter. */
  get remembered(): number {
    return this.lines.size;
  }

  /** `content` has CRLF line ends only (toCrlf). */
  encode(content: string): EncodedText {
    if (!content) return { encoding: "" };
    if (++this.recentLetters > RECENT_LETTERS) {
      this.recent = new Map();
      this.recentLetters = 1;
    }
    const texts = content.split("\r\n");
    const last = texts.length - 1;
    const lines = texts.map((text, index) => this.line(text, index === last));
    let plain = true;
    let long = content.length > UNTESTED;
    let latin = 0;
    let nonLatin = 0;
    for (const line of lines) {
      plain &&= line.plain;
      long ||= line.long;
      latin += line.latin;
      nonLatin += line.nonLatin;
    }
    if (plain && !long) return { encoding: "7bit", body: content };
    if (nonLatin >= latin) return { encoding: "base64" };
    if (!lineLocal(content)) return { encoding: "quoted-printable" };
    let body = "";
    texts.forEach((text, index) => {
      const line = lines[index] as Line;
      if (index === last && last > 0) {
        body += lastLine(body.length, text);
        return;
      }
      line.qp ??= wrapQuotedPrintable(encodeQuotedPrintable(index === last ? text : `${text}\r\n`), 76);
      body += line.qp;
    });
    return { encoding: "quoted-printable", body };
  }

  /**
   * A line's facts: remembered once it comes back (see RECENT_LETTERS), except the last line's (its
   * quoted-printable form depends on the text).
   */
  private line(text: string, last: boolean): Line {
    if (last) return facts(text);
    const known = this.lines.get(text);
    if (known) return known;
    const recent = this.recent.get(text);
    if (!recent) {
      const line = facts(text);
      this.recent.set(text, line);
      return line;
    }
    if (this.lines.size >= REMEMBERED || this.characters + text.length > REMEMBERED_CHARACTERS) {
      this.lines.clear();
      this.characters = 0;
    }
    this.characters += text.length;
    // A copy: the piece split returns keeps the whole letter's text alive while it is remembered.
    this.lines.set(Buffer.from(text).toString(), recent);
    return recent;
  }
}

/** Line breaks that wrap takes one by one, each as it is: put before a piece, they make wrap work on it. */
const RUN_UP = "\r\n".repeat(39);

/**
 * The last line of a text of several lines, after `before` characters of the lines above it, as wrap makes it
 * within the whole text. Alone, wrap gives back any piece of 76 characters or less as it is; within a longer
 * text the same piece goes through wrap's loop, which breaks a last piece of over 51 characters early, at a
 * space or a mark. Lines of 76 characters and more (RUN_UP) make the loop start on the piece.
 */
function lastLine(before: number, text: string): string {
  const qp = encodeQuotedPrintable(text);
  if (before + qp.length <= 76) return qp; // the whole text is given back as it is
  return wrapQuotedPrintable(RUN_UP + qp, 76).slice(RUN_UP.length);
}

function facts(text: string): Line {
  let latin = 0;
  let nonLatin = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    // _getTextEncoding's ranges (line breaks are in neither, and a line has none)
    if (code <= 0x08 || code === 0x0b || code === 0x0c || (code >= 0x0e && code <= 0x1f) || code >= 0x80) {
      nonLatin++;
    } else if ((code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a)) {
      latin++;
    }
  }
  return { plain: isPlainText(text), long: text.length > 76 && hasLongerLines(text, 76), latin, nonLatin };
}

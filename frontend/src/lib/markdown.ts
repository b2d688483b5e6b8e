// A small, safe subset of Markdown for descriptions and comments, parsed into a tree that the UI
// turns into elements (ui/components/markdown.tsx): never into HTML text, so nothing typed can
// become markup. What is understood:
//   paragraphs (a blank line), line breaks, "- " / "* " and "1. " lists, "> " quotes,
//   **bold**, *italic* / _italic_, `code`, ``` fenced code ```,
//   [text](url) and bare http(s) addresses as links.
// Links are kept only for http:, https: and mailto: (javascript:, data: and the rest stay text).

export type Inline =
  | { type: "text"; text: string }
  | { type: "strong" | "em"; children: Inline[] }
  | { type: "code"; text: string }
  | { type: "link"; href: string; children: Inline[] }
  | { type: "br" };

export type Block =
  | { type: "p"; children: Inline[] }
  | { type: "ul" | "ol"; items: Inline[][] }
  | { type: "quote"; children: Inline[] }
  | { type: "pre"; text: string };

/** The address if a link may point there (http, https, mailto), else null. */
export function safeHref(raw: string): string | null {
  const href = raw.trim();
  // No control characters or spaces: browsers strip some of them before reading the scheme.
  if (!href || /[\u0000-\u0020\u007f]/.test(href)) return null;
  return /^(https?:\/\/[^/]|mailto:[^/])/i.test(href) ? href : null;
}

const BARE_URL = /https?:\/\/[^\s<>()]+[^\s<>().,;:!?'"*_]/y;

/** Inline text: emphasis, code, links. Unclosed markers are plain text. */
export function parseInline(text: string): Inline[] {
  const out: Inline[] = [];
  let plain = "";
  const flush = () => {
    if (plain) out.push({ type: "text", text: plain });
    plain = "";
  };
  let i = 0;
  while (i < text.length) {
    const rest = text.slice(i);
    if (rest[0] === "\n") {
      flush();
      out.push({ type: "br" });
      i++;
      continue;
    }
    if (rest[0] === "`") {
      const end = text.indexOf("`", i + 1);
      if (end > i + 1) {
        flush();
        out.push({ type: "code", text: text.slice(i + 1, end) });
        i = end + 1;
        continue;
      }
    }
    const strong = /^(\*\*|__)(?=\S)([\s\S]*?\S)\1/.exec(rest);
    if (strong) {
      flush();
      out.push({ type: "strong", children: parseInline(strong[2]) });
      i += strong[0].length;
      continue;
    }
    // _x_ only at a word's edge, so snake_case_names stay as they are.
    const em = /^\*(?=\S)([^*]*?\S)\*/.exec(rest) ?? (/\w/.test(text[i - 1] ?? "") ? null : /^_(?=\S)([^_]*?\S)_(?!\w)/.exec(rest));
    if (em) {
      flush();
      out.push({ type: "em", children: parseInline(em[1]) });
      i += em[0].length;
      continue;
    }
    const link = /^\[([^\]\n]+)\]\(([^()\s]+)\)/.exec(rest);
    if (link) {
      const href = safeHref(link[2]);
      flush();
      // An address that may not be a link shows as the text the user wrote, whole.
      if (href) out.push({ type: "link", href, children: parseInline(link[1]) });
      else out.push({ type: "text", text: link[0] });
      i += link[0].length;
      continue;
    }
    BARE_URL.lastIndex = i;
    const bare = /\w/.test(text[i - 1] ?? "") ? null : BARE_URL.exec(text);
    if (bare) {
      flush();
      out.push({ type: "link", href: bare[0], children: [{ type: "text", text: bare[0] }] });
      i += bare[0].length;
      continue;
    }
    plain += text[i];
    i++;
  }
  flush();
  return out;
}

const BULLET = /^\s{0,3}[-*+]\s+/;
const NUMBERED = /^\s{0,3}\d{1,9}[.)]\s+/;
const QUOTE = /^\s{0,3}>\s?/;

export function parseMarkdown(source: string): Block[] {
  const lines = source.replace(/\r\n?/g, "\n").split("\n");
  const blocks: Block[] = [];
  let i = 0;
  const take = (test: (line: string) => boolean) => {
    const taken: string[] = [];
    while (i < lines.length && test(lines[i])) taken.push(lines[i++]);
    return taken;
  };
  while (i < lines.length) {
    const line = lines[i];
    if (!line.trim()) {
      i++;
    } else if (/^\s{0,3}```/.test(line)) {
      i++;
      const code = take((l) => !/^\s{0,3}```/.test(l));
      i++; // the closing fence (or the end)
      blocks.push({ type: "pre", text: code.join("\n") });
    } else if (BULLET.test(line) || NUMBERED.test(line)) {
      const marker = BULLET.test(line) ? BULLET : NUMBERED;
      const items = take((l) => marker.test(l)).map((l) => parseInline(l.replace(marker, "")));
      blocks.push({ type: marker === BULLET ? "ul" : "ol", items });
    } else if (QUOTE.test(line)) {
      const quoted = take((l) => QUOTE.test(l)).map((l) => l.replace(QUOTE, ""));
      blocks.push({ type: "quote", children: parseInline(quoted.join("\n")) });
    } else {
      const paragraph = take((l) => Boolean(l.trim()) && !BULLET.test(l) && !NUMBERED.test(l) && !QUOTE.test(l) && !/^\s{0,3}```/.test(l));
      blocks.push({ type: "p", children: parseInline(paragraph.join("\n")) });
    }
  }
  return blocks;
}

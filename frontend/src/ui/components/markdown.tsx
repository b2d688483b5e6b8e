// Markdown (lib/markdown.ts) as elements. Everything is a VNode whose text Preact sets as text:
// no innerHTML anywhere, so a "<script>" typed in a comment is shown, never run. Links open in a
// new tab and tell the browser not to pass on the page (noopener noreferrer) nor vouch for the
// address (nofollow).
import type { ComponentChildren } from "preact";
import { type Block, type Inline, parseMarkdown } from "../../lib/markdown";

export const LINK_REL = "noopener noreferrer nofollow";

/** `decorate` shows plain text its own way (the mentions in a comment). */
type Decorate = (text: string) => ComponentChildren;

function inline(nodes: Inline[], decorate: Decorate): ComponentChildren[] {
  return nodes.map((node, index) => {
    switch (node.type) {
      case "text":
        return decorate(node.text);
      case "br":
        return <br key={index} />;
      case "code":
        return <code key={index}>{node.text}</code>;
      case "strong":
        return <strong key={index}>{inline(node.children, decorate)}</strong>;
      case "em":
        return <em key={index}>{inline(node.children, decorate)}</em>;
      case "link":
        return (
          <a key={index} href={node.href} rel={LINK_REL} target="_blank" class="text-link">
            {inline(node.children, (text) => text)}
          </a>
        );
    }
  });
}

function block(node: Block, index: number, decorate: Decorate) {
  switch (node.type) {
    case "p":
      return <p key={index}>{inline(node.children, decorate)}</p>;
    case "quote":
      return <blockquote key={index}>{inline(node.children, decorate)}</blockquote>;
    case "pre":
      return (
        <pre key={index}>
          <code>{node.text}</code>
        </pre>
      );
    case "ul":
    case "ol": {
      const List = node.type;
      return (
        <List key={index}>
          {node.items.map((item, n) => (
            <li key={n}>{inline(item, decorate)}</li>
          ))}
        </List>
      );
    }
  }
}

export function Markdown({ source, decorate = (text) => text, class: extra }: { source: string; decorate?: Decorate; class?: string }) {
  return <div class={`markdown ${extra ?? ""}`}>{parseMarkdown(source).map((node, index) => block(node, index, decorate))}</div>;
}

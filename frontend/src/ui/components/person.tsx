// A person as the app shows them: an initials avatar and the part of the address before the @ as
// the name; the whole address shows on hover and on keyboard focus (a tooltip that Escape
// hides), and is what a screen reader reads. Used wherever a person appears.
import { useState } from "preact/hooks";
import { Icon } from "./icons";

const HUES = 6;

/** "ann.lee@example.com" -> "ann.lee". */
export function personName(email: string): string {
  const at = email.lastIndexOf("@");
  return at > 0 ? email.slice(0, at) : email;
}

/** "ann.lee@…" -> "AL", "bob-2@…" -> "B": the first letters of the name's first two words
 * (words that start with a letter, when there are any). */
export function initials(email: string): string {
  const words = personName(email).split(/[._+\-\s]+/).filter(Boolean);
  const lettered = words.filter((word) => /^\p{L}/u.test(word));
  return (lettered.length ? lettered : words)
    .slice(0, 2)
    .map((word) => [...word][0])
    .join("")
    .toUpperCase();
}

/** One of a few avatar colours, the same for an address wherever it appears. */
function hue(email: string): number {
  let hash = 0;
  for (const char of email.toLowerCase()) hash = (hash * 31 + char.codePointAt(0)!) >>> 0;
  return hash % HUES;
}

/** `who`: an email address, or a word for nobody in particular ("Nobody", "Former member",
 * "You", "Someone"), shown as it is. */
export function Person({ who }: { who: string }) {
  const [tip, setTip] = useState<"start" | "end" | "hidden">("start");
  if (!who.includes("@")) {
    return (
      <span class="person">
        <span class="avatar avatar--none" aria-hidden="true">
          <Icon name="person" />
        </span>
        <span class="person-name">{who}</span>
      </span>
    );
  }
  // Open the address towards the side with room, so it never widens the page.
  const place = (event: Event) => {
    const rect = (event.currentTarget as HTMLElement).getBoundingClientRect();
    setTip(rect.left + 320 > document.documentElement.clientWidth ? "end" : "start");
  };
  return (
    <span
      class="person"
      tabIndex={0}
      data-email={who}
      data-tip={tip}
      onMouseEnter={place}
      onFocus={place}
      onKeyDown={(event) => {
        if (event.key === "Escape" && tip !== "hidden") {
          setTip("hidden");
          event.stopPropagation();
        }
      }}
    >
      <span class={`avatar avatar--${hue(who)}`} aria-hidden="true">
        {initials(who)}
      </span>
      <span class="person-name" aria-hidden="true">
        {personName(who)}
      </span>
      <span class="visually-hidden">{who}</span>
    </span>
  );
}

// Icons as inline SVG (no icon font, no requests): decorative, so hidden from assistive
// technology; the text or label beside each one says what it means.
const RING = "M4 12a8 8 0 1 0 16 0a8 8 0 1 0-16 0";

// [outline path, filled path?] on a 24 x 24 grid, drawn with the current text colour.
const PATHS = {
  logo: ["M5 3h14a2 2 0 0 1 2 2v14a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2zM7.5 12.5l3 3 6-7"],
  todo: [RING],
  in_progress: [RING, "M12 4a8 8 0 0 1 0 16z"],
  done: [`${RING}M8.5 12.5l2.5 2.5 4.5-5.5`],
  check: ["M5 12.5l4.5 4.5L19 7"],
  plus: ["M12 5v14M5 12h14"],
  trash: ["M4 7h16M10 11v6M14 11v6M9 7V4h6v3M6 7l1 13h10l1-13"],
  chevron: ["M7 10l5 5 5-5"],
  left: ["M14 6l-6 6 6 6"],
  right: ["M10 6l6 6-6 6"],
  close: ["M6 6l12 12M18 6L6 18"],
  undo: ["M9 14L4 9l5-5M4 9h10.5a5.5 5.5 0 0 1 0 11H11"],
  alert: ["M12 3.5l9.5 16.5h-19zM12 10v4.5M12 17.5v.01"],
  clock: [`${RING}M12 8v4.5l3 2`],
  calendar: ["M4 6h16v14H4zM4 10h16M8 3v5M16 3v5"],
  sun: ["M8 12a4 4 0 1 0 8 0a4 4 0 1 0-8 0M12 2v2M12 20v2M4.9 4.9l1.4 1.4M17.7 17.7l1.4 1.4M2 12h2M20 12h2M4.9 19.1l1.4-1.4M17.7 6.3l1.4-1.4"],
  moon: ["M20 14.5A8.5 8.5 0 1 1 9.5 4a7 7 0 0 0 10.5 10.5z"],
  system: ["M3 5h18v11H3zM8 20h8M12 16v4"],
  keyboard: ["M3 6h18v12H3zM7 10h.01M11 10h.01M15 10h.01M7 14h10"],
  list: ["M9 6h11M9 12h11M9 18h11M4.5 6h.01M4.5 12h.01M4.5 18h.01"],
  board: ["M4 4h4.5v16H4zM10 4h4.5v11H10zM16 4h4.5v7H16z"],
  people: ["M6 8a3 3 0 1 0 6 0a3 3 0 1 0-6 0M3 20a6 6 0 0 1 12 0M15.5 5.5a3 3 0 0 1 0 5.5M17.5 14.5A6 6 0 0 1 21 20"],
  history: ["M4 12a8 8 0 1 0 2.5-5.8M4 4v4h4M12 8v4.5l3 2"],
  home: ["M4 11l8-7 8 7M6 9.5V20h12V9.5"],
  folder: ["M3 6a1 1 0 0 1 1-1h5l2 2h9a1 1 0 0 1 1 1v10a1 1 0 0 1-1 1H4a1 1 0 0 1-1-1z"],
  person: ["M8 8a4 4 0 1 0 8 0a4 4 0 1 0-8 0M4 21a8 8 0 0 1 16 0"],
  mail: ["M3 6h18v12H3zM3 7l9 6 9-6"],
  bell: ["M6 16V11a6 6 0 0 1 12 0v5l1.5 2h-15zM10 20.5a2 2 0 0 0 4 0"],
  comment: ["M4 5h16v11H9l-4 3.5V16H4z"],
} satisfies Record<string, string[]>;

export type IconName = keyof typeof PATHS;

export function Icon({ name, class: extra }: { name: IconName; class?: string }) {
  const [outline, fill] = PATHS[name] as string[];
  return (
    <svg class={extra ? `icon ${extra}` : "icon"} viewBox="0 0 24 24" aria-hidden="true" focusable="false">
      <path d={outline} />
      {fill && <path class="icon-fill" d={fill} />}
    </svg>
  );
}

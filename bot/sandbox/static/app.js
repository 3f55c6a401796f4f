/* circlebot SANDBOX page: chats of several personas side by side, driven through the local
 * sandbox server (which talks to the in-process Bot API emulator). Vanilla JS, no framework,
 * no network beyond 127.0.0.1. Every piece of text is inserted as text, never as HTML. */
"use strict";

const NARROW = window.matchMedia("(max-width: 899px)");
const SAFE_URL = /^(https?:|tg:)/i;

const page = {
  state: null, // /api/state
  chats: new Map(), // user_id -> chat view
  active: null, // persona key shown on narrow screens
  visible: new Set(), // persona keys shown as columns on wide screens
  skewMs: 0, // sandbox time minus browser time
  zone: "UTC",
  lastSeq: 0,
};

/* ---------------------------------------------------------------- helpers */

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

async function api(path, body) {
  const options = body === undefined ? {} : {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  };
  const response = await fetch(path, options);
  let data = null;
  try { data = await response.json(); } catch (_) { data = null; }
  if (!response.ok || !data || data.ok === false) {
    throw new Error((data && data.error) || `${response.status} ${response.statusText}`);
  }
  return data;
}

function formatter(options) {
  try {
    return new Intl.DateTimeFormat(undefined, { timeZone: page.zone, ...options });
  } catch (_) {
    return new Intl.DateTimeFormat(undefined, options);
  }
}

function sandboxNow() {
  return new Date(Date.now() + page.skewMs);
}

function humanDuration(seconds) {
  const minutes = Math.round(seconds / 60);
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const mins = minutes % 60;
  const parts = [];
  if (days) parts.push(`${days} d`);
  if (hours) parts.push(`${hours} h`);
  if (mins || !parts.length) parts.push(`${mins} min`);
  return parts.join(" ");
}

function toast(text, kind) {
  const box = document.getElementById("toasts");
  const item = el("div", { class: `toast ${kind || ""}`, role: "status", text });
  box.append(item);
  setTimeout(() => item.classList.add("leaving"), 3800);
  setTimeout(() => item.remove(), 4300);
}

function deepLinkPayload(url) {
  const match = /^(?:https?:\/\/)?(?:t\.me|telegram\.me)\/([A-Za-z0-9_]+)\?start=([A-Za-z0-9_-]{1,64})$/
    .exec(String(url || "").trim());
  if (!match || !page.state) return null;
  if (match[1].toLowerCase() !== page.state.bot.username.toLowerCase()) return null;
  return match[2];
}

/* ---------------------------------------------------------- text entities */

function wrapEntity(entity, node, fullText) {
  const segment = fullText.slice(entity.offset, entity.offset + entity.length);
  switch (entity.type) {
    case "bold": return el("b", {}, node);
    case "italic": return el("i", {}, node);
    case "underline": return el("u", {}, node);
    case "strikethrough": return el("s", {}, node);
    case "code": return el("code", {}, node);
    case "pre": return el("pre", {}, node);
    case "spoiler": return el("span", { class: "spoiler", title: "Tap to reveal",
      onclick: (e) => e.currentTarget.classList.add("revealed") }, node);
    case "blockquote":
    case "expandable_blockquote": return el("span", { class: "quote" }, node);
    case "text_link": return link(entity.url, node);
    case "url": return link(/^[a-z]+:/i.test(segment) ? segment : `https://${segment}`, node);
    case "bot_command": return el("span", { class: "cmd", role: "button", tabindex: "0",
      "data-command": segment }, node);
    case "mention":
    case "hashtag":
    case "text_mention": return el("span", { class: "mention" }, node);
    default: return node;
  }
}

function link(url, node) {
  if (!SAFE_URL.test(String(url || ""))) return node;
  const payload = deepLinkPayload(url);
  if (payload) return el("a", { href: url, class: "deep-link", "data-payload": payload }, node);
  return el("a", { href: url, target: "_blank", rel: "noopener noreferrer" }, node);
}

/** Plain text + Telegram entities (UTF-16 offsets, like JS strings) -> DOM, no HTML parsing. */
function renderText(text, entities) {
  const frag = document.createDocumentFragment();
  text = text || "";
  const list = (entities || []).filter((e) => e.length > 0);
  if (!list.length) {
    frag.append(text);
    return frag;
  }
  const cuts = new Set([0, text.length]);
  for (const e of list) {
    cuts.add(Math.max(0, Math.min(text.length, e.offset)));
    cuts.add(Math.max(0, Math.min(text.length, e.offset + e.length)));
  }
  const points = [...cuts].sort((a, b) => a - b);
  for (let i = 0; i < points.length - 1; i += 1) {
    const start = points[i];
    const end = points[i + 1];
    let node = document.createTextNode(text.slice(start, end));
    const active = list
      .filter((e) => e.offset <= start && e.offset + e.length >= end)
      .sort((a, b) => b.offset - a.offset || a.length - b.length);
    for (const entity of active) node = wrapEntity(entity, node, text);
    frag.append(node);
  }
  return frag;
}

/* ---------------------------------------------------------------- chats */

class ChatView {
  constructor(persona) {
    this.persona = persona;
    this.userId = persona.user_id;
    this.nodes = new Map(); // message_id -> element
    this.unread = 0;
    const root = document.getElementById("chat-template").content.firstElementChild.cloneNode(true);
    root.dataset.persona = persona.key;
    root.dataset.testid = `chat-${persona.key}`;
    root.id = `chat-${persona.key}`;
    root.querySelector(".avatar").textContent = persona.name.replace(/^Dr\.\s*/, "").charAt(0);
    root.querySelector(".avatar").dataset.persona = persona.key;
    root.querySelector(".who-name").textContent = persona.name;
    root.querySelector(".who-role").textContent = `${persona.role} · id ${persona.user_id}`;
    this.root = root;
    this.log = root.querySelector(".log");
    this.input = root.querySelector(".composer-input");
    this.typing = root.querySelector(".typing");
    this.chatToast = root.querySelector(".chat-toast");
    this.replyKeyboard = root.querySelector(".reply-keyboard");
    this.menu = root.querySelector(".command-menu");
    this.renderHint(root.querySelector(".hint"));
    root.querySelector(".composer").addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
    });
    this.input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.submit();
      }
    });
    this.input.addEventListener("input", () => this.autosize());
    root.querySelector(".menu-btn").addEventListener("click", () => this.toggleMenu());
    this.log.addEventListener("click", (event) => this.onLogClick(event));
    this.log.addEventListener("keydown", (event) => {
      if (event.key === "Enter") this.onLogClick(event);
    });
  }

  renderHint(box) {
    // Commands in the hint are tappable (like in Telegram); the join link opens as this person.
    const parts = this.persona.hint.split(/(https?:\/\/t\.me\/\S+|\/[a-z_]{2,32}\b)/);
    for (const part of parts) {
      if (/^https?:\/\/t\.me\//.test(part)) {
        box.append(el("a", { href: part, class: "deep-link join-link", "data-payload": deepLinkPayload(part),
          "data-testid": "join-link", title: "Open the link as this person (like tapping it in Telegram)" },
        part));
        box.append(el("button", { type: "button", class: "copy-btn", text: "Copy",
          onclick: () => navigator.clipboard && navigator.clipboard.writeText(part).then(
            () => toast("Join link copied — paste it into the message box"), () => {}) }));
      } else if (/^\/[a-z_]+$/.test(part)) {
        box.append(el("span", { class: "cmd", role: "button", tabindex: "0", "data-command": part,
          title: `Send ${part}` }, part));
      } else if (part) {
        box.append(part);
      }
    }
    box.addEventListener("click", (event) => this.onLogClick(event));
    box.addEventListener("keydown", (event) => {
      if (event.key === "Enter") this.onLogClick(event);
    });
  }

  autosize() {
    this.input.style.height = "auto";
    this.input.style.height = `${Math.min(this.input.scrollHeight, 140)}px`;
  }

  async submit(textOverride) {
    const text = (textOverride ?? this.input.value).trim();
    if (!text) return;
    if (textOverride === undefined) {
      this.input.value = "";
      this.autosize();
    }
    this.menu.hidden = true;
    try {
      await api("/api/send", { user_id: this.userId, text });
    } catch (error) {
      toast(`Could not send: ${error.message}`, "error");
      if (textOverride === undefined) this.input.value = text;
    }
  }

  async press(button, messageId, data) {
    button.classList.add("pressed");
    button.disabled = true;
    setTimeout(() => { button.classList.remove("pressed"); button.disabled = false; }, 1500);
    try {
      await api("/api/press", { user_id: this.userId, message_id: messageId, data });
    } catch (error) {
      toast(`That button no longer exists (${error.message})`, "error");
    }
  }

  onLogClick(event) {
    const target = event.target.closest("a.deep-link, .cmd");
    if (!target) return;
    event.preventDefault();
    if (target.matches(".cmd")) {
      this.submit(target.dataset.command);
    } else if (target.dataset.payload) {
      this.submit(`/start ${target.dataset.payload}`);
    }
  }

  async toggleMenu() {
    if (!this.menu.hidden) {
      this.menu.hidden = true;
      return;
    }
    this.menu.replaceChildren(el("div", { class: "menu-loading", text: "Loading commands…" }));
    this.menu.hidden = false;
    try {
      const data = await api(`/api/commands?user_id=${this.userId}`);
      const items = data.commands.map((c) => el("button", { type: "button", class: "menu-item",
        onclick: () => this.submit(`/${c.command}`) },
      el("span", { class: "menu-cmd", text: `/${c.command}` }),
      el("span", { class: "menu-desc", text: c.description })));
      this.menu.replaceChildren(...(items.length ? items : [el("div", { class: "menu-loading",
        text: "The bot has not set any commands yet." })]));
    } catch (error) {
      this.menu.replaceChildren(el("div", { class: "menu-loading", text: error.message }));
    }
  }

  nearBottom() {
    return this.log.scrollHeight - this.log.scrollTop - this.log.clientHeight < 120;
  }

  scrollDown() {
    this.log.scrollTop = this.log.scrollHeight;
  }

  upsert(message) {
    if (message.deleted) {
      this.remove(message.message_id);
      return;
    }
    const stick = this.nearBottom();
    const node = this.renderMessage(message);
    const old = this.nodes.get(message.message_id);
    if (old) {
      old.replaceWith(node);
    } else {
      node.classList.add("fresh");
      this.log.querySelector(".empty")?.remove();
      const after = [...this.nodes.keys()].filter((id) => id > message.message_id);
      if (after.length) {
        this.nodes.get(Math.min(...after)).before(node);
      } else {
        this.log.append(node);
      }
      if (message.from_bot) this.noteUnread();
    }
    this.nodes.set(message.message_id, node);
    if (message.from_bot) this.updateReplyKeyboard(message);
    if (stick || !message.from_bot) this.scrollDown();
    if (message.from_bot) this.typing.hidden = true;
    for (const img of node.querySelectorAll("img")) {
      img.addEventListener("load", () => { if (stick) this.scrollDown(); }, { once: true });
    }
  }

  remove(messageId) {
    const node = this.nodes.get(messageId);
    if (node) node.remove();
    this.nodes.delete(messageId);
  }

  noteUnread() {
    if (isShown(this.persona.key)) return;
    this.unread += 1;
    renderPersonaBar();
  }

  renderMessage(message) {
    const outgoing = !message.from_bot;
    const bubble = el("div", { class: "bubble" });
    if (message.kind === "photo" && message.photo) {
      bubble.classList.add("has-media");
      bubble.append(el("img", { class: "photo", src: `/api/file/${encodeURIComponent(message.photo.file_id)}`,
        alt: message.caption || "Photo from the bot", loading: "lazy", "data-testid": "photo" }));
    } else if (message.kind === "document" && message.document) {
      const doc = message.document;
      bubble.append(el("a", { class: "document", href: `/api/file/${encodeURIComponent(doc.file_id)}`,
        download: doc.filename || "file", "data-testid": "document" },
      el("span", { class: "doc-icon", "aria-hidden": "true", text: "⬇" }),
      el("span", { class: "doc-meta" },
        el("span", { class: "doc-name", text: doc.filename || "file" }),
        el("span", { class: "doc-size", text: `${Math.max(1, Math.round((doc.size || 0) / 1024))} KB · ${doc.mime_type || ""}` }))));
    }
    if (message.text) {
      bubble.append(el("div", { class: "text" }, renderText(message.text, message.entities)));
    }
    const when = formatter({ hour: "2-digit", minute: "2-digit" }).format(new Date(message.sandbox_ms || message.sent_at * 1000));
    bubble.append(el("div", { class: "meta" }, message.edited ? el("span", { class: "edited", text: "edited" }) : null,
      el("time", { text: when })));
    const row = el("div", {
      class: `msg ${outgoing ? "out" : "in"}${message.edited ? " is-edited" : ""}`,
      "data-message-id": message.message_id,
      "data-testid": outgoing ? "user-message" : "bot-message",
    }, bubble);
    const keyboard = (message.reply_markup || {}).inline_keyboard;
    if (message.from_bot && Array.isArray(keyboard) && keyboard.length) {
      row.append(this.renderKeyboard(message.message_id, keyboard));
    }
    return row;
  }

  renderKeyboard(messageId, rows) {
    const box = el("div", { class: "keyboard", role: "group", "aria-label": "Buttons" });
    for (const row of rows) {
      const line = el("div", { class: "kb-row" });
      for (const button of row) {
        const label = String(button.text || "");
        if (button.callback_data !== undefined) {
          const node = el("button", { type: "button", class: "kb-btn", text: label,
            "data-testid": "inline-button", "data-data": button.callback_data });
          node.addEventListener("click", () => this.press(node, messageId, button.callback_data));
          line.append(node);
        } else if (button.url) {
          const payload = deepLinkPayload(button.url);
          const node = payload
            ? el("button", { type: "button", class: "kb-btn kb-link", text: `${label} ↗`,
              onclick: () => this.submit(`/start ${payload}`) })
            : el("a", { class: "kb-btn kb-link", href: SAFE_URL.test(button.url) ? button.url : "#",
              target: "_blank", rel: "noopener noreferrer", text: `${label} ↗` });
          line.append(node);
        } else {
          line.append(el("span", { class: "kb-btn kb-disabled", text: label,
            title: "This kind of button is not available in the sandbox" }));
        }
      }
      box.append(line);
    }
    return box;
  }

  updateReplyKeyboard(message) {
    const markup = message.reply_markup || {};
    if (markup.remove_keyboard) {
      this.replyKeyboard.hidden = true;
      this.replyKeyboard.replaceChildren();
      return;
    }
    if (!Array.isArray(markup.keyboard)) return;
    const rows = markup.keyboard.map((row) => el("div", { class: "kb-row" }, ...row.map((b) => {
      const label = typeof b === "string" ? b : String(b.text || "");
      return el("button", { type: "button", class: "kb-btn", text: label, onclick: () => {
        this.submit(label);
        if (markup.one_time_keyboard) this.replyKeyboard.hidden = true;
      } });
    })));
    this.replyKeyboard.replaceChildren(...rows);
    this.replyKeyboard.hidden = false;
  }

  showAnswer(answer) {
    if (!answer || !answer.text) return;
    this.chatToast.textContent = answer.text;
    this.chatToast.classList.toggle("alert", Boolean(answer.show_alert));
    this.chatToast.hidden = false;
    clearTimeout(this.answerTimer);
    this.answerTimer = setTimeout(() => { this.chatToast.hidden = true; }, answer.show_alert ? 6000 : 3500);
  }

  showTyping() {
    this.typing.hidden = false;
    clearTimeout(this.typingTimer);
    this.typingTimer = setTimeout(() => { this.typing.hidden = true; }, 4000);
  }
}

/* ------------------------------------------------------ personas / layout */

function isShown(key) {
  if (NARROW.matches) return page.active === key;
  return page.visible.has(key);
}

function applyLayout() {
  for (const view of page.chats.values()) {
    const key = view.persona.key;
    view.root.classList.toggle("visible", page.visible.has(key));
    view.root.classList.toggle("active", page.active === key);
    if (isShown(key)) view.unread = 0;
  }
  const columns = Math.max(1, page.visible.size);
  document.getElementById("chats").style.setProperty("--columns", String(columns));
  renderPersonaBar();
}

function renderPersonaBar() {
  const bar = document.getElementById("personas");
  const chips = page.state.personas.map((persona) => {
    const view = page.chats.get(persona.user_id);
    const shown = isShown(persona.key);
    const chip = el("button", {
      type: "button", role: "tab", class: `persona-chip${shown ? " on" : ""}`,
      "aria-selected": shown ? "true" : "false", "data-testid": `persona-${persona.key}`,
      title: NARROW.matches ? `Chat as ${persona.name}` : `Show or hide ${persona.name}'s chat`,
    },
    el("span", { class: "chip-avatar", "data-persona": persona.key,
      text: persona.name.replace(/^Dr\.\s*/, "").charAt(0) }),
    el("span", { class: "chip-text" },
      el("span", { class: "chip-name", text: persona.name }),
      el("span", { class: "chip-role", text: persona.role })),
    view && view.unread ? el("span", { class: "unread", text: String(view.unread) }) : null);
    chip.addEventListener("click", () => choosePersona(persona.key));
    return chip;
  });
  bar.replaceChildren(...chips);
}

function choosePersona(key) {
  if (NARROW.matches) {
    page.active = key;
  } else if (page.visible.has(key) && page.visible.size > 1) {
    page.visible.delete(key);
    if (page.active === key) page.active = [...page.visible][0];
  } else {
    page.visible.add(key);
    page.active = key;
  }
  applyLayout();
  const view = [...page.chats.values()].find((v) => v.persona.key === key);
  if (view && isShown(key)) {
    view.scrollDown();
    if (!NARROW.matches || document.activeElement?.tagName !== "BUTTON") view.input.focus({ preventScroll: true });
  }
}

/* ------------------------------------------------------------------ clock */

function setClock(info) {
  page.skewMs = info.now_ms - Date.now();
  page.zone = info.zone || page.zone;
  document.getElementById("clock-zone").textContent = page.zone;
  tickClock();
}

function tickClock() {
  const text = formatter({ weekday: "short", day: "numeric", month: "short", hour: "2-digit",
    minute: "2-digit", second: "2-digit" }).format(sandboxNow());
  document.getElementById("clock-time").textContent = text;
}

async function jump(action, hours) {
  const buttons = document.querySelectorAll("[data-jump], #jump-hours button");
  buttons.forEach((b) => { b.disabled = true; });
  try {
    const result = await api("/api/clock", { action, hours });
    setClock(result);
    if (result.jumped) {
      const when = formatter({ weekday: "short", hour: "2-digit", minute: "2-digit" }).format(sandboxNow());
      toast(`Clock moved forward ${humanDuration(result.by_seconds)} — now ${when}`, "clock");
    } else {
      toast(`Nothing to jump to: ${result.reason}`, "error");
    }
  } catch (error) {
    toast(`Could not move the clock: ${error.message}`, "error");
  } finally {
    buttons.forEach((b) => { b.disabled = false; });
  }
}

/* ----------------------------------------------------------------- events */

function onEvent(event) {
  page.lastSeq = Math.max(page.lastSeq, event.seq || 0);
  const view = page.chats.get(event.chat_id);
  if (!view) return;
  switch (event.type) {
    case "user_message":
    case "bot_message":
    case "edit":
    case "delete":
      if (event.message) view.upsert(event.message);
      break;
    case "callback_answer":
      view.showAnswer(event.answer);
      break;
    case "chat_action":
      view.showTyping();
      break;
    default:
      break;
  }
}

function connectEvents() {
  const source = new EventSource(`/api/events?after=${page.lastSeq}`);
  source.onmessage = (message) => {
    try { onEvent(JSON.parse(message.data)); } catch (error) { console.error(error); }
  };
  source.addEventListener("reload", () => window.location.reload());
  source.onopen = () => document.body.classList.remove("offline");
  source.onerror = () => document.body.classList.add("offline");
}

/* ------------------------------------------------------------------- boot */

async function boot() {
  const state = await api("/api/state");
  page.state = state;
  page.lastSeq = state.last_seq || 0;
  setClock(state.clock);
  setInterval(tickClock, 1000);
  setInterval(() => api("/api/clock").then(setClock).catch(() => {}), 15000);
  document.title = `circlebot · SANDBOX · ${state.group.name}`;
  const chats = document.getElementById("chats");
  for (const persona of state.personas) {
    const view = new ChatView(persona);
    page.chats.set(persona.user_id, view);
    chats.append(view.root);
    if (persona.shown) page.visible.add(persona.key);
  }
  page.active = state.personas.find((p) => p.key === "newcomer")?.key || state.personas[0].key;
  applyLayout();
  await Promise.all(state.personas.map(async (persona) => {
    const data = await api(`/api/messages?user_id=${persona.user_id}`);
    const view = page.chats.get(persona.user_id);
    for (const message of data.messages) view.upsert(message);
    view.unread = 0;
  }));
  renderPersonaBar();
  connectEvents();
  document.querySelectorAll("[data-jump]").forEach((button) => {
    button.addEventListener("click", () => jump(button.dataset.jump));
  });
  document.getElementById("jump-hours").addEventListener("submit", (event) => {
    event.preventDefault();
    const hours = Number(document.getElementById("jump-hours-input").value);
    if (hours > 0) jump("hours", hours);
  });
  NARROW.addEventListener("change", applyLayout);
  document.body.classList.add("ready");
}

boot().catch((error) => {
  document.getElementById("chats").replaceChildren(el("div", { class: "fatal",
    text: `The sandbox page could not start: ${error.message}. Is circlebot sandbox still running?` }));
});

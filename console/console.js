// The follow service's console: signs UserSigs in the page (TLSSigAPIv2: HMAC-SHA256 by
// WebCrypto, zlib by CompressionStream), calls the REST API of the server that serves it, and
// shows accounts. Plain JavaScript, no framework. The secret key never leaves the page.
"use strict";

const APIS = [
  ["follow/follow_add", "Follow: From_Account follows each To_Account (at most 20).",
    {From_Account: "alice", FollowItem: [{To_Account: "bob"}, {To_Account: "carol"}]}],
  ["follow/follow_delete", "Unfollow each To_Account.",
    {From_Account: "alice", To_Account: ["bob"]}],
  ["follow/follow_check", "The relation of From_Account with each target (FollowType 0-3).",
    {From_Account: "alice", To_Account: ["bob", "carol"]}],
  ["follow/follow_get", "A page of fans (1), following (2) or mutual follows (3), newest first.",
    {From_Account: "alice", FollowType: 1, StartCursor: "", WantNum: 20}],
  ["follow/follow_get_info", "Fan, following and mutual counts of each target.",
    {From_Account: "alice", To_Account: ["alice", "bob"]}],
  ["im_open_login_svc/account_import", "Import one account, with its Nick and FaceUrl.",
    {UserID: "alice", Nick: "Alice", FaceUrl: ""}],
  ["im_open_login_svc/multiaccount_import", "Import up to 100 accounts.",
    {AccountList: [{UserID: "bob", Nick: "Bob"}, {UserID: "carol", Nick: "Carol"}]}],
  ["im_open_login_svc/account_check", "Whether each account is imported.",
    {CheckItem: [{UserID: "alice"}, {UserID: "nobody"}]}],
  ["im_open_login_svc/account_delete", "Delete accounts, with every follow that touches them.",
    {DeleteItem: [{UserID: "carol"}]}],
  ["profile/portrait_set", "Set profile tags of one account.",
    {From_Account: "alice", ProfileItem: [{Tag: "Tag_Profile_IM_Nick", Value: "Alice A."}]}],
  ["profile/portrait_get", "Read profile tags of up to 100 accounts.",
    {To_Account: ["alice", "bob"], TagList: ["Tag_Profile_IM_Nick", "Tag_Profile_IM_Image"]}],
];
const SIG_SECONDS = 86400;
const PAGE = 12; // cards per list, and per "more"
const $ = (id) => document.getElementById(id);
let usersig = "";

// ---- UserSig ----

function b64(bytes) {
  let s = "";
  const a = new Uint8Array(bytes);
  for (let i = 0; i < a.length; i++) s += String.fromCharCode(a[i]);
  return btoa(s);
}

function canSign() {
  if (!window.isSecureContext || !window.crypto || !crypto.subtle)
    return "this page is not a secure context (use http://127.0.0.1 or HTTPS), so the browser " +
      "offers no WebCrypto";
  if (typeof CompressionStream === "undefined")
    return "this browser has no CompressionStream";
  return "";
}

async function makeSig(sdkappid, identifier, key) {
  const enc = new TextEncoder();
  const time = Math.floor(Date.now() / 1000);
  const content = "TLS.identifier:" + identifier + "\nTLS.sdkappid:" + sdkappid +
    "\nTLS.time:" + time + "\nTLS.expire:" + SIG_SECONDS + "\n";
  const hmac = await crypto.subtle.importKey("raw", enc.encode(key),
    {name: "HMAC", hash: "SHA-256"}, false, ["sign"]);
  const mac = b64(await crypto.subtle.sign("HMAC", hmac, enc.encode(content)));
  const doc = JSON.stringify({"TLS.ver": "2.0", "TLS.identifier": identifier,
    "TLS.sdkappid": Number(sdkappid), "TLS.expire": SIG_SECONDS, "TLS.time": time, "TLS.sig": mac});
  const zipped = await new Response(new Blob([doc]).stream()
    .pipeThrough(new CompressionStream("deflate"))).arrayBuffer();
  return b64(zipped).replace(/\+/g, "*").replace(/\//g, "-").replace(/=/g, "_");
}

function setStatus(el, text, kind) {
  el.textContent = text;
  el.className = "status" + (kind ? " " + kind : "");
}

async function sign() {
  const st = $("sign-status");
  const mode = document.querySelector("input[name=mode]:checked").value;
  if (!/^[0-9]+$/.test($("sdkappid").value.trim()) || !$("identifier").value.trim())
    return setStatus(st, "SDKAppID (digits) and the administrator's identifier are needed", "fail");
  if (mode === "sig") {
    usersig = $("usersig").value.trim();
    return setStatus(st, usersig ? "using the UserSig given" : "paste a UserSig first",
      usersig ? "ok" : "fail");
  }
  const why = canSign();
  if (why)
    return setStatus(st, "Cannot sign here: " + why + ". Make a UserSig with " +
      "cgi-bin/follow-usersig and paste it instead.", "fail");
  if (!$("secret").value)
    return setStatus(st, "enter the secret key", "fail");
  usersig = await makeSig($("sdkappid").value.trim(), $("identifier").value.trim(),
    $("secret").value);
  setStatus(st, "signed in this page; valid for 24 hours", "ok");
}

// ---- calls ----

async function call(path, body) {
  if (!usersig) await sign();
  const q = new URLSearchParams({sdkappid: $("sdkappid").value.trim(),
    identifier: $("identifier").value.trim(), usersig: usersig,
    random: String(Math.floor(Math.random() * 4294967295)), contenttype: "json"});
  const t0 = performance.now();
  const r = await fetch("/v4/" + path + "?" + q, {method: "POST", body: body,
    headers: {"Content-Type": "application/json"}});
  const text = await r.text();
  const ms = performance.now() - t0;
  let json = null;
  try { json = JSON.parse(text); } catch (e) { /* shown as text */ }
  return {status: r.status, ms: ms, text: text, json: json};
}

function highlight(value) {
  const esc = (s) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  return esc(JSON.stringify(value, null, 2)).replace(
    /("(?:\\.|[^"\\])*")(\s*:)?|\b(-?\d+(?:\.\d+)?)\b/g,
    (m, str, colon, num) => str ? (colon ? '<span class="k">' + str + "</span>" + colon
      : '<span class="s">' + str + "</span>") : '<span class="n">' + num + "</span>");
}

function meaning(code) {
  const t = window.FOLLOW_CODES && window.FOLLOW_CODES[String(code)];
  return t || "a code this service does not answer";
}

// Every ErrorCode and ResultCode of an answer, each once, with what it means.
function codeChips(answer) {
  const seen = new Map();
  (function walk(v, key) {
    if (Array.isArray(v)) v.forEach((x) => walk(x));
    else if (v && typeof v === "object") Object.keys(v).forEach((k) => walk(v[k], k));
    else if ((key === "ErrorCode" || key === "ResultCode") && typeof v === "number")
      seen.set(key + " " + v, v);
  })(answer);
  const box = $("codes");
  box.textContent = "";
  for (const [label, code] of seen) {
    const chip = document.createElement("span");
    chip.className = code === 0 ? "ok" : "fail";
    chip.textContent = label + ": " + meaning(code);
    box.appendChild(chip);
  }
}

async function send() {
  const api = APIS[$("api").selectedIndex];
  const st = $("call-status");
  setStatus(st, "sending...");
  try {
    const r = await call(api[0], $("body").value);
    const code = r.json ? r.json.ErrorCode : null;
    setStatus(st, "HTTP " + r.status + " in " + r.ms.toFixed(1) + " ms" +
      (code === null ? "" : " · ErrorCode " + code), code === 0 ? "ok" : "fail");
    if (r.json) {
      $("answer").innerHTML = highlight(r.json);
      codeChips(r.json);
    } else {
      $("answer").textContent = r.text;
      $("codes").textContent = "";
    }
  } catch (e) {
    setStatus(st, String(e), "fail");
  }
}

function showExample() {
  const api = APIS[$("api").selectedIndex];
  $("api-help").textContent = "/v4/" + api[0] + " — " + api[1];
  $("body").value = JSON.stringify(api[2], null, 2);
}

// ---- the account view ----

const LISTS = [[1, "Fans"], [2, "Following"], [3, "Mutual follows"]];

function tag(item, name) {
  const t = (item.ProfileItem || []).find((p) => p.Tag === name);
  return t && typeof t.Value === "string" ? t.Value : "";
}

// The picture at url, or else (none, or it does not load) the name's initials on a colour of
// the account's own.
function avatar(id, name, url) {
  const words = name.split(/[\s_.-]+/).filter((w) => w);
  const initials = (words.length > 1 ? words[0][0] + words[1][0] : name.slice(0, 2))
    .toUpperCase() || "?";
  let h = 0;
  for (const ch of id) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  const plain = document.createElement("div");
  plain.className = "avatar";
  plain.style.background = "hsl(" + (h % 360) + " 55% 48%)";
  plain.textContent = initials;
  if (!/^https?:\/\//.test(url)) return plain;
  const img = document.createElement("img");
  img.className = "avatar";
  img.alt = "";
  img.src = url;
  img.onerror = () => img.replaceWith(plain);
  return img;
}

function card(item) {
  const b = document.createElement("button");
  b.className = "card";
  b.dataset.account = item.To_Account;
  const nick = tag(item, "Tag_Profile_IM_Nick");
  const who = document.createElement("div");
  who.className = "who";
  const n = document.createElement("div");
  n.className = "nick";
  n.textContent = nick || item.To_Account;
  const m = document.createElement("div");
  m.className = "meta";
  m.textContent = (nick ? item.To_Account + " · " : "") + new Date(item.FollowTime * 1000)
    .toLocaleString(undefined, {dateStyle: "medium", timeStyle: "short"});
  m.title = "followed " + new Date(item.FollowTime * 1000).toString();
  who.append(n, m);
  b.append(avatar(item.To_Account, nick || item.To_Account, tag(item, "Tag_Profile_IM_Image")),
    who);
  b.onclick = () => openAccount(item.To_Account);
  return b;
}

async function fillList(box, id, type, cursor) {
  const r = await call("follow/follow_get", JSON.stringify({From_Account: id, FollowType: type,
    StartCursor: cursor, WantNum: PAGE}));
  const cards = box.querySelector(".cards");
  const old = box.querySelector(".more");
  if (old) old.remove();
  if (!r.json || r.json.ErrorCode !== 0) {
    cards.textContent = r.json ? r.json.ErrorInfo : "HTTP " + r.status;
    return;
  }
  r.json.FollowItem.forEach((it) => cards.appendChild(card(it)));
  if (!cards.children.length) {
    const none = document.createElement("p");
    none.className = "empty";
    none.textContent = "none";
    cards.appendChild(none);
  }
  if (r.json.NextCursor) {
    const more = document.createElement("button");
    more.className = "secondary more";
    more.textContent = "More";
    more.onclick = () => fillList(box, id, type, r.json.NextCursor);
    box.appendChild(more);
  }
}

async function openAccount(id) {
  const st = $("account-status");
  id = (id || "").trim();
  if (!id) return setStatus(st, "enter a UserID", "fail");
  $("who").value = id;
  setStatus(st, "loading " + id + "...");
  const r = await call("follow/follow_get_info", JSON.stringify({From_Account: id,
    To_Account: [id]}));
  const item = r.json && r.json.ErrorCode === 0 && r.json.FollowInfo && r.json.FollowInfo[0];
  if (!item || item.ResultCode !== 0) {
    $("counts").hidden = true;
    $("lists").textContent = "";
    const code = item ? item.ResultCode : r.json ? r.json.ErrorCode : null;
    return setStatus(st, id + ": " + (code === null ? "HTTP " + r.status
      : code + " " + meaning(code)), "fail");
  }
  setStatus(st, "");
  $("n-fans").textContent = item.FollowerCount;
  $("n-following").textContent = item.FollowingCount;
  $("n-mutual").textContent = item.MutualFollowingCount;
  $("counts").hidden = false;
  const lists = $("lists");
  lists.textContent = "";
  await Promise.all(LISTS.map(([type, title]) => {
    const box = document.createElement("div");
    box.className = "list";
    box.dataset.type = type;
    const h = document.createElement("h3");
    h.textContent = title;
    const cards = document.createElement("div");
    cards.className = "cards";
    box.append(h, cards);
    lists.appendChild(box);
    return fillList(box, id, type, "");
  }));
}

// ---- wiring ----

function showTab(name) {
  document.querySelectorAll(".tabs button").forEach((b) =>
    b.classList.toggle("active", b.dataset.tab === name));
  $("tab-call").hidden = name !== "call";
  $("tab-account").hidden = name !== "account";
}

window.addEventListener("DOMContentLoaded", () => {
  APIS.forEach(([path]) => {
    const o = document.createElement("option");
    o.textContent = path;
    $("api").appendChild(o);
  });
  showExample();
  $("api").onchange = showExample;
  $("example").onclick = showExample;
  $("send").onclick = send;
  $("sign").onclick = sign;
  $("open").onclick = () => { showTab("account"); openAccount($("who").value); };
  $("who").onkeydown = (e) => { if (e.key === "Enter") openAccount($("who").value); };
  document.querySelectorAll(".tabs button").forEach((b) => b.onclick = () => showTab(b.dataset.tab));
  document.querySelectorAll("input[name=mode]").forEach((r) => r.onchange = () => {
    const sig = document.querySelector("input[name=mode]:checked").value === "sig";
    $("key-row").hidden = sig;
    $("sig-row").hidden = !sig;
    usersig = "";
  });
  ["sdkappid", "identifier", "secret"].forEach((id) => $(id).oninput = () => { usersig = ""; });
  const why = canSign();
  if (why) setStatus($("sign-status"), "Signing with the key is unavailable: " + why +
    ". Paste a UserSig from cgi-bin/follow-usersig.", "fail");
});

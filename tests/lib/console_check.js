// Drives the console page in Debian's headless chromium (puppeteer-core, no browser download):
// signs with the key, makes a follow_add and reads the rendered answer, then opens the account
// view, checks its counts and cards, follows "More" and a card, and saves screenshots.
// usage: node console_check.js BASE SDKAPPID ADMIN KEY SHOTDIR STAR FAN FANS
// Prints "ok" and exits 0, or prints what went wrong and exits 1.
"use strict";
const puppeteer = require("puppeteer-core");

const [base, sdkappid, admin, key, shots, star, fan, fansArg] = process.argv.slice(2);
const fans = Number(fansArg);
const STEP_MS = 15000;
let page = null; // for the failure's screenshot and status lines
const FAN0 = "cs_f00"; // the first of the FANS accounts t1500 makes follow FAN, Nick "Fan 0"

function fail(msg) {
  throw new Error(msg);
}

async function textOf(page, sel) {
  return page.$eval(sel, (e) => e.textContent);
}

async function main() {
  const browser = await puppeteer.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    // root in a container: no sandbox; and nothing may leave the machine
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--metrics-recording-only",
      "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"],
  });
  try {
    page = await browser.newPage();
    await page.setViewport({width: 1100, height: 900});
    const errors = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto(base + "/console/", {waitUntil: "load", timeout: STEP_MS});

    // Sign with the key.
    await page.$eval("#sdkappid", (e, v) => { e.value = v; }, sdkappid);
    await page.$eval("#identifier", (e, v) => { e.value = v; }, admin);
    await page.type("#secret", key);
    await page.click("#sign");
    await page.waitForFunction(() => document.querySelector("#sign-status").textContent
      .includes("signed in this page"), {timeout: STEP_MS});

    // A follow_add, and its rendered answer.
    await page.select("#api", "follow/follow_add");
    await page.$eval("#body", (e, v) => { e.value = v; },
      JSON.stringify({From_Account: star, FollowItem: [{To_Account: fan}]}));
    await page.click("#send");
    await page.waitForFunction(() => /^HTTP \d+/.test(document.querySelector("#call-status")
      .textContent), {timeout: STEP_MS});
    const status = await textOf(page, "#call-status");
    if (!/^HTTP 200 in [0-9.]+ ms · ErrorCode 0$/.test(status)) fail("call status: " + status);
    const answer = JSON.parse(await textOf(page, "#answer"));
    if (answer.ActionStatus !== "OK" || answer.ResultItem.length !== 1 ||
        answer.ResultItem[0].To_Account !== fan || answer.ResultItem[0].ResultCode !== 0)
      fail("rendered answer: " + JSON.stringify(answer));
    const chips = await page.$$eval("#codes span", (s) => s.map((e) => e.textContent));
    if (JSON.stringify(chips) !== JSON.stringify(["ErrorCode 0: OK", "ResultCode 0: OK"]))
      fail("code chips: " + JSON.stringify(chips));
    await page.screenshot({path: shots + "/console-call.png", fullPage: true});

    // A failing call explains its code from the service's table.
    await page.$eval("#body", (e, v) => { e.value = v; },
      JSON.stringify({From_Account: star, FollowItem: [{To_Account: "nobody-here"}]}));
    await page.click("#send");
    await page.waitForFunction(() => document.querySelectorAll("#codes span").length === 2 &&
      document.querySelector("#codes").textContent.includes("ResultCode 30003"),
      {timeout: STEP_MS});
    const failChip = await textOf(page, "#codes span.fail");
    if (failChip !== "ResultCode 30003: account not imported") fail("fail chip: " + failChip);

    // The account view of the fan: counts and cards, "More", then a card opens its account.
    await page.click(".tabs button[data-tab=account]");
    await page.type("#who", fan);
    await page.click("#open");
    await page.waitForSelector(".list[data-type='1'] .card", {timeout: STEP_MS});
    const counts = await page.$$eval(".counts b", (b) => b.map((e) => e.textContent));
    if (counts[0] !== String(fans + 1)) fail("fan count shown: " + counts.join("/"));
    let shown = await page.$$eval(".list[data-type='1'] .card", (c) => c.length);
    if (shown !== 12) fail("first page of fans: " + shown + " cards");
    const first = await page.$eval(".list[data-type='1'] .card", (c) => ({
      account: c.dataset.account, nick: c.querySelector(".nick").textContent,
      avatar: c.querySelector(".avatar").textContent}));
    if (first.account !== star) fail("newest fan first: " + JSON.stringify(first));
    await page.screenshot({path: shots + "/console-account.png", fullPage: true});
    await page.click(".list[data-type='1'] .more");
    await page.waitForFunction((n) => document.querySelectorAll(".list[data-type='1'] .card")
      .length === n, {timeout: STEP_MS}, fans + 1);
    if (await page.$(".list[data-type='1'] .more")) fail("a More button after the last page");
    const nick = await page.$eval(".list[data-type='1'] .card[data-account='" + FAN0 + "'] .nick",
      (e) => e.textContent);
    if (nick !== "Fan 0") fail("a fan's Nick on its card: " + nick);
    await page.click(".list[data-type='1'] .card[data-account='" + star + "']");
    await page.waitForFunction((s) => document.querySelector("#who").value === s &&
      document.querySelector(".list[data-type='2'] .card"), {timeout: STEP_MS}, star);
    await page.waitForSelector(".list[data-type='2'] .card[data-account='" + fan + "']",
      {timeout: STEP_MS});
    await page.screenshot({path: shots + "/console-star.png", fullPage: true});
    if (errors.length) fail("page errors: " + errors.join("; "));
    console.log("ok");
  } catch (e) {
    if (page) {
      const state = await page.$$eval(".status", (s) => s.map((e) => e.id + ": " + e.textContent))
        .catch(() => []);
      console.log("status lines: " + JSON.stringify(state));
      await page.screenshot({path: shots + "/console-failure.png", fullPage: true}).catch(() => {});
    }
    throw e;
  } finally {
    await browser.close();
  }
}

main().catch(async (e) => {
  console.log(String(e && e.stack || e));
  process.exit(1);
});

// Screenshots of the running demo for docs/ (the pages listed in docs/screenshot_pages.json: the
// dashboard with its charts, an order, a failed operation with its buttons, the operations list,
// a refused return, and what an auditor sees).
// Usage: start `scripts/demo`, wait ~3 minutes, then, with playwright-core installed outside the
// repository (npm install --prefix /tmp/shots playwright-core) and Chromium at /usr/bin/chromium,
// from the repository's root:
//   NODE_PATH=/tmp/shots/node_modules SUPPORT_PASSWORD=... AUDITOR_PASSWORD=... \
//     node docs/take_screenshots.mjs http://127.0.0.1:8000
// (the passwords are the ones scripts/demo prints; by environment, so `ps` does not show them).
// It exits non-zero when a page answers other than 200 or logs a console error (a script error or
// a Content-Security-Policy violation).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

// require() (unlike import) finds playwright-core through NODE_PATH too.
const { chromium } = createRequire(import.meta.url)("playwright-core");

const base = process.argv[2] || "http://127.0.0.1:8000";
const logins = {
  support: ["support", process.env.SUPPORT_PASSWORD],
  auditor: ["auditor", process.env.AUDITOR_PASSWORD],
};
const { pages } = JSON.parse(readFileSync("docs/screenshot_pages.json", "utf8"));
const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"],
});
const sessions = {};
const problems = [];
async function pageAs(role) {
  if (sessions[role]) return sessions[role];
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  // Nothing but the demo: any request elsewhere (the internet) fails the run.
  await context.route("**/*", (route) =>
    route.request().url().startsWith(base) ? route.continue() : route.abort());
  const page = await context.newPage();
  // A page's script error or a Content-Security-Policy violation (an inline script or style it
  // blocks) shows in the console: print it and fail the run at the end.
  page.on("console", (message) => {
    if (message.type() === "error" || message.type() === "warning") {
      console.log(`console ${message.type()} (${role}) ${page.url()}: ${message.text()}`);
      if (message.type() === "error") problems.push(message.text());
    }
  });
  page.on("pageerror", (error) => {
    console.log(`page error (${role}) ${page.url()}: ${error.message}`);
    problems.push(error.message);
  });
  const [user, password] = logins[role];
  await page.goto(`${base}/admin/login/`);
  await page.fill("#id_username", user);
  await page.fill("#id_password", password);
  await page.click("input[type=submit]");
  await page.waitForURL(`${base}/admin/`);
  sessions[role] = page;
  return page;
}
for (const shot of pages) {
  const page = await pageAs(shot.role);
  const response = await page.goto(`${base}${shot.path}`);
  if (response.status() !== 200) throw new Error(`${shot.path}: HTTP ${response.status()}`);
  if (shot.open_first) {
    await page.click("#result_list tbody tr:first-child th a");
    await page.waitForLoadState("load");
  }
  await page.screenshot({ path: `docs/screenshots/${shot.name}.png`, fullPage: shot.full_page });
  console.log(`docs/screenshots/${shot.name}.png: ${page.url()}`);
}
await browser.close();
if (problems.length) {
  console.log(`${problems.length} console error(s): see above`);
  process.exit(1);
}

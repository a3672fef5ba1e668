// Screenshots of the running demo for docs/ (dashboard, an order's timeline, the operations list).
// Usage: start `scripts/demo`, then, with playwright-core installed (npm install playwright-core)
// and Chromium at /usr/bin/chromium:
//   node docs/take_screenshots.mjs http://127.0.0.1:8000 demo <password printed by scripts/demo>
import { chromium } from "playwright-core";

const [base, user, password] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"],
});
const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
await page.goto(`${base}/admin/login/`);
await page.fill("#id_username", user);
await page.fill("#id_password", password);
await page.click("input[type=submit]");
await page.waitForURL(`${base}/admin/`);
await page.screenshot({ path: "docs/screenshots/dashboard.png", fullPage: true });

await page.goto(`${base}/admin/channel/order/?lifecycle__exact=fulfilled`);
await page.click("#result_list tbody tr:first-child th a");
await page.waitForSelector("text=Timeline (newest first)");
await page.screenshot({ path: "docs/screenshots/order-timeline.png", fullPage: true });

await page.goto(`${base}/admin/channel/operation/`);
await page.screenshot({ path: "docs/screenshots/operations.png", fullPage: false });
await browser.close();

// Browser test: Debian's headless chromium, driven by playwright-core, opens the dashboard of a real
// `sextant serve` (all engines, the simulator) and checks that it is live: candles arrive, the
// correlation heatmap updates, the risk gauges and the accelerator table fill, and the console stays
// free of errors. It saves a screenshot (the README's) to the path given.
//   node tests/browser/dashboard.mjs <sextant binary> <screenshot.png>
import { chromium } from "playwright-core";
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const [binary, screenshot] = process.argv.slice(2);
if (!binary || !screenshot) throw new Error("usage: dashboard.mjs <sextant binary> <screenshot.png>");
const scale = Number(process.env.SEXTANT_TEST_TIME_SCALE ?? 1);
const browserPath = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find(existsSync);
if (!browserPath) throw new Error("chromium is not installed: run scripts/setup");

async function startServer() {
  for (let attempt = 0; attempt < 20; ++attempt) {
    const offset = 10000 + Math.floor(Math.random() * 400) * 100;
    const models = mkdtempSync(join(tmpdir(), "sextant-browser-models-"));
    process.on("exit", () => rmSync(models, { recursive: true, force: true }));
    const child = spawn(binary, ["serve", "--port-offset", String(offset), "--threads", "2", "--models-dir", models,
                                 "--bar-interval-ms", "250", "--sim-instruments", "20"], { stdio: ["ignore", "pipe", "inherit"] });
    const ready = await new Promise((resolve) => {
      createInterface({ input: child.stdout }).on("line", (line) => { if (line.startsWith("ready")) resolve(true); });
      child.on("exit", () => resolve(false));
      setTimeout(() => resolve(false), 60000 * scale);
    });
    if (ready) return { child, offset };
    child.kill("SIGKILL");
  }
  throw new Error("sextant serve did not start on any offset");
}

function check(ok, what) {
  if (!ok) throw new Error("dashboard check failed: " + what);
  console.log("ok -", what);
}

const { child, offset } = await startServer();
const browser = await chromium.launch({ executablePath: browserPath, args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] });
try {
  const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  const problems = [];
  page.on("console", (m) => { if (m.type() === "error" || m.type() === "warning") problems.push(`console ${m.type()}: ${m.text()}`); });
  page.on("pageerror", (e) => problems.push("page error: " + e.message));
  page.on("requestfailed", (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on("response", (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`); });

  await page.goto(`http://127.0.0.1:${8600 + offset}/`, { waitUntil: "load" });
  const timeout = 30000 * scale;
  await page.waitForFunction(() => document.getElementById("wsstate").textContent === "live", null, { timeout });
  check(true, "the WebSocket is live");

  const bars = async () => Number((await page.textContent("#candleinfo")).match(/(\d+) bars/)?.[1] ?? 0);
  await page.waitForFunction(() => /\d+ bars/.test(document.getElementById("candleinfo").textContent), null, { timeout });
  const first = await bars();
  check(first > 0, `the chart holds the store's history (${first} candles)`);
  check(await page.locator("#chart canvas").count() > 0, "lightweight-charts drew on its canvas");
  await page.waitForFunction((n) => Number(document.getElementById("candleinfo").textContent.match(/(\d+) bars/)[1]) > n + 2, first, { timeout });
  check(true, `new candles arrive (${await bars()} now)`);

  await page.waitForFunction(() => Number(document.getElementById("heat").dataset.updates ?? 0) >= 2, null, { timeout });
  check(true, "the correlation heatmap updated twice");
  check(/20 instruments/.test(await page.textContent("#corrinfo")), "the heatmap covers the 20 instruments");

  await page.waitForFunction(() => /DEMO/.test(document.getElementById("riskinfo").textContent), null, { timeout });
  check(true, "the risk gauges show the demo account");
  await page.waitForFunction(() => document.querySelectorAll("#ftable td.num").length > 100, null, { timeout });
  check(true, "the factor table fills from features snapshots");
  await page.waitForFunction(() => /now:/.test(document.getElementById("mlinfo").textContent), null, { timeout });
  check(true, "the ML regime panel shows a forecast");
  await page.waitForFunction(() => document.querySelectorAll("#ops tr").length > 0, null, { timeout });
  check(true, "the accelerator router table fills");

  await page.waitForTimeout(500);
  await page.screenshot({ path: screenshot });
  console.log("screenshot:", screenshot);
  check(problems.length === 0, "no console errors, failed requests or HTTP errors" + (problems.length ? ":\n  " + problems.join("\n  ") : ""));
} finally {
  await browser.close();
  child.kill("SIGTERM");
}

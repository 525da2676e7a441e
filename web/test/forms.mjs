// The forms test's browser side. stdin: {"page": DIR with index.html, "jobs": [{"name",
// "schema", "uiSchema", "choices", "sample", "screenshot"?}]}; stdout: [{"name", "submitted",
// "errors", "steps", "labels"}] after each form was filled for its sample and submitted.
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { join } from "node:path";
import { launch } from "./browser.mjs";
import { Filler } from "./fill.mjs";

const { page: dir, jobs } = JSON.parse(readFileSync(0, "utf8"));
const browser = await launch();
const { page } = browser;
page.setDefaultTimeout(15000);
const problems = [];
page.on("pageerror", (e) => problems.push(String(e)));
await page.goto(pathToFileURL(join(dir, "index.html")).href);
const results = [];
try {
  for (const job of jobs) {
    problems.length = 0;
    await page.evaluate((j) => window.showForm(j), { schema: job.schema, uiSchema: job.uiSchema, choices: job.choices });
    const filler = new Filler(page, job.schema);
    let failure = null;
    try {
      await filler.fill(job.schema, job.sample, "root");
      if (job.screenshot) {
        const height = await page.evaluate(() => document.documentElement.scrollHeight);
        await page.screenshot({ path: job.screenshot, fullPage: true, clip: { x: 0, y: 0, width: 960, height: Math.min(height, 4200) } }); // a batch: its first requests
      }
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.locator('button[type="submit"]').click();
      await page.waitForFunction(() => window.submitted !== undefined || window.submitErrors !== undefined, null, { timeout: 30000, polling: 100 });
    } catch (e) {
      failure = String(e).split("\n").slice(0, 6).join("\n");
    }
    const labels = await page.locator("label, legend").allInnerTexts();
    const state = await page.evaluate(() => ({ submitted: window.submitted, errors: window.submitErrors, formData: window.formData }));
    results.push({ name: job.name, ...state, failure, steps: filler.steps, labels, pageErrors: [...problems] });
  }
} finally {
  await browser.close();
}
process.stdout.write(JSON.stringify({ chromium: browser.version, results }));

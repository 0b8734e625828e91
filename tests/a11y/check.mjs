// Loads each page given on the command line (a URL, or `{"url": ..., "headers": {...}}` for a
// request with extra headers such as Accept-Language or a session) in headless Chromium
// (Debian's /usr/bin/chromium, or $CHROMIUM) at desktop width and at 320 CSS pixels, runs
// axe-core's WCAG 2.1 A and AA rules, and prints one JSON array: per page and width, axe's
// violations, anything the page's Content-Security-Policy blocked (a blocked style sheet would
// change what axe sees, e.g. the contrast), and any horizontal overflow (reflow, WCAG 1.4.10).
// Exits 0 when it could check every page, whatever it found; non-zero when it could not (the
// caller then has no verdict). Used by tests/tests/api/accessibility.rs.

import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const axe = require('axe-core');

const pages = process.argv
  .slice(2)
  .map((arg) => (arg.startsWith('{') ? JSON.parse(arg) : { url: arg, headers: {} }));
if (pages.length === 0) {
  console.error('usage: node check.mjs URL|{"url":URL,"headers":{...}}...');
  process.exit(2);
}

const widths = [
  { name: 'desktop', width: 1280, height: 800 },
  { name: '320px', width: 320, height: 640 },
];

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  // Root (CI, containers) cannot use Chromium's sandbox.
  args: ['--no-sandbox'],
});

const results = [];
try {
  for (const viewport of widths) {
    // The page's own policy stays on: axe is injected over the DevTools protocol, which it does
    // not govern, so what axe checks is what a visitor's browser renders.
    const context = await browser.newContext({
      viewport: { width: viewport.width, height: viewport.height },
    });
    for (const { url, headers } of pages) {
      const page = await context.newPage();
      await page.setExtraHTTPHeaders(headers || {});
      const blocked = [];
      page.on('console', (message) => {
        const text = message.text();
        if (message.type() === 'error' && /Content Security Policy/i.test(text)) {
          blocked.push(text);
        }
      });
      const response = await page.goto(url, { waitUntil: 'load' });
      await page.evaluate(axe.source);
      const report = await page.evaluate(() =>
        // eslint-disable-next-line no-undef
        window.axe.run(document, {
          runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
          resultTypes: ['violations'],
        }),
      );
      // Reflow (WCAG 1.4.10): nothing may need horizontal scrolling at 320 px.
      const overflow = await page.evaluate(
        () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
      );
      results.push({
        url,
        headers: headers || {},
        width: viewport.name,
        status: response ? response.status() : null,
        lang: await page.evaluate(() => document.documentElement.lang),
        violations: report.violations.map((violation) => ({
          id: violation.id,
          impact: violation.impact,
          help: violation.help,
          helpUrl: violation.helpUrl,
          nodes: violation.nodes.map((node) => ({
            target: node.target,
            html: node.html,
            summary: node.failureSummary,
          })),
        })),
        cspBlocked: blocked,
        horizontalOverflow: overflow > 0 ? overflow : 0,
        axeVersion: report.testEngine.version,
      });
      await page.close();
    }
    await context.close();
  }
} finally {
  await browser.close();
}

process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);

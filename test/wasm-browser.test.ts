/**
 * The wasm kernels run in a browser as in Node (issue 11: "browsers and Node both run the
 * kernels"): test/fixtures/wasmProbe.ts, bundled by esbuild into one script, computes a MAML
 * meta-gradient, its loss and an Adam step on both wasm engines in Debian's Chromium, offline,
 * and gets the same bits as in Node (IEEE arithmetic, no fused multiply-add, no relaxed SIMD).
 */
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as esbuild from 'esbuild';
import type { Browser } from 'puppeteer-core';
import { launchChromium, offlinePage } from './browser';
import { wasmProbe } from './fixtures/wasmProbe';

let browser: Browser;
before(async () => {
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
});

test('Chromium runs both wasm engines and gets the bits Node gets', async () => {
  const bundle = esbuild.buildSync({
    entryPoints: [path.join(__dirname, 'fixtures', 'wasmProbe.ts')], bundle: true, format: 'iife',
    globalName: 'probe', platform: 'browser', target: 'es2020', write: false, logLevel: 'silent',
  }).outputFiles[0].text;
  assert.doesNotMatch(bundle, /\brequire\(["']node:|from ["']node:/, 'the kernels need no Node module');
  const { page, external, problems } = await offlinePage(browser);
  await page.setContent('<!DOCTYPE html><html><body></body></html>');
  await page.addScriptTag({ content: bundle });
  const inBrowser = await page.evaluate(() => (globalThis as unknown as { probe: { wasmProbe(): Record<string, number[]> } }).probe.wasmProbe());
  // the page's values come back through JSON, which has no −0: compare zeros without their sign
  const unsignedZero = (v: number) => (v === 0 ? 0 : v);
  const inNode = Object.fromEntries(Object.entries(wasmProbe()).map(([k, v]) => [k, v.map(unsignedZero)]));
  assert.deepEqual(Object.keys(inBrowser), Object.keys(inNode));
  for (const [name, values] of Object.entries(inNode)) {
    assert.ok(values.every(Number.isFinite) && values.some((v) => v !== 0), `${name}: finite, not all zero`);
    assert.deepEqual(inBrowser[name], values, `${name}: the same bits in Chromium and in Node`);
  }
  // the two precisions really differ (float32 rounding), so the page did not run one engine twice
  assert.notDeepEqual(inNode['f32 meta-gradient'], inNode['f64 meta-gradient']);
  assert.deepEqual(external, []);
  assert.deepEqual(problems, []);
});

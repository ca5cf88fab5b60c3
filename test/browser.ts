/**
 * The browser the tests drive: Debian's Chromium through puppeteer-core, with the flags this
 * closed network needs (without the background-networking ones it keeps trying to reach out).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import puppeteer, { Browser, Page } from 'puppeteer-core';
import { scratchDir } from './scratch';

export const CHROMIUM = '/usr/bin/chromium';

/** Headless Chromium with a fresh profile. */
export function launchChromium(): Promise<Browser> {
  return puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    userDataDir: scratchDir('maml-sine-chromium-'),
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/**
 * A page that may load nothing from off this machine: file:, data: and blob: URLs load (Plotly
 * probes webp support with a data: URL); every other request is refused and listed in
 * `external`. Console errors and uncaught page errors are listed in `problems`.
 */
export async function offlinePage(browser: Browser): Promise<{ page: Page; external: string[]; problems: string[] }> {
  const page = await browser.newPage();
  const external: string[] = [];
  const problems: string[] = [];
  await page.setRequestInterception(true);
  page.on('request', (req) => {
    const url = req.url();
    if (url.startsWith('file:') || url.startsWith('data:') || url.startsWith('blob:')) return void req.continue();
    external.push(url);
    void req.abort();
  });
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${(err as Error).message}`));
  return { page, external, problems };
}

import { chromium } from 'playwright-core';
const t = Date.now();
const b = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'], headless: true });
const p = await b.newPage();
await p.goto('data:text/html,<p>hi</p>');
console.log(await p.evaluate(() => [navigator.userAgent, typeof indexedDB, isSecureContext]), Date.now() - t);
await b.close();

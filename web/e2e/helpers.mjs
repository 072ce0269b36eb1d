import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'

export const BASE_URL = (process.env.LVYUAN_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '')
export const DEMO_PASSWORD = process.env.LVYUAN_DEMO_PASSWORD || 'Lvyuan@2026demo'

const resultsDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'test-results')

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
}

/** Opens a fresh context (empty storage, Chinese UI) and page. */
export async function newPage(browser) {
  const context = await browser.newContext({
    viewport: { width: 1440, height: 900 },
    locale: 'zh-CN',
  })
  const page = await context.newPage()
  page.setDefaultTimeout(15_000)
  return { context, page }
}

/** Runs `fn(page)`; on failure saves a full-page screenshot to test-results/<name>.png. */
export async function withScreenshotOnFailure(page, name, fn) {
  try {
    await fn(page)
  } catch (error) {
    await mkdir(resultsDir, { recursive: true })
    const file = path.join(resultsDir, `${name.replace(/[^\w-]+/g, '_')}.png`)
    await page.screenshot({ path: file, fullPage: true }).catch(() => {})
    throw error
  }
}

export const sel = (id) => `[data-test="${id}"]`

export async function login(page, username, password) {
  await page.locator(sel('login-username')).fill(username)
  await page.locator(sel('login-password')).fill(password)
  await page.locator(sel('login-submit')).click()
}

// A real 1×1 PNG: the server checks the type from the bytes.
export const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
)

/**
 * A signed-in API session of a demo account, for setting up what a test then checks in the
 * browser: `call(method, path, body, version)` sends JSON with the session cookie, the CSRF
 * token, the Origin and (with `version`) If-Match, and returns the parsed answer; it throws on
 * an HTTP error.
 */
export async function apiSession(username) {
  const res = await fetch(`${BASE_URL}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Origin: BASE_URL },
    body: JSON.stringify({ username, password: DEMO_PASSWORD }),
  })
  if (res.status !== 200) throw new Error(`sign-in of ${username}: HTTP ${res.status}`)
  const cookie = res.headers.get('set-cookie').split(';')[0]
  const { csrf_token: csrf, user } = await res.json()
  async function call(method, path, body, version) {
    const headers = { Cookie: cookie, 'X-CSRF-Token': csrf, Origin: BASE_URL }
    if (body !== undefined) headers['Content-Type'] = 'application/json'
    if (version !== undefined) headers['If-Match'] = `"${version}"`
    const answer = await fetch(BASE_URL + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const text = await answer.text()
    if (answer.status >= 400) throw new Error(`${method} ${path}: HTTP ${answer.status} ${text}`)
    return text ? JSON.parse(text) : null
  }
  return { user, call }
}

/** The unit of a demo account, from its sign-in answer. */
export async function unitOf(username) {
  return (await apiSession(username)).user.unit
}

/** Signs `page` in as the demo account `username` and waits for the home page. */
export async function signInDemo(page, username) {
  await page.goto(BASE_URL + '/login')
  await login(page, username, DEMO_PASSWORD)
  await page.waitForURL(/\/home/)
}

/**
 * Chooses `unit` ({id, name}) in the unit picker of form field `field` inside `scope`: types
 * part of its name, which searches the unit directory, and clicks its option.
 */
export async function pickUnit(page, scope, field, unit) {
  const select = scope.locator(`${sel(`field-${field}`)} .el-select`)
  await select.click()
  await select.locator('input').fill(unit.name)
  await page.locator(`${sel(`unit-option-${unit.id}`)}:visible`).click()
  await select
    .locator('.el-tag, .el-select__selected-item', { hasText: unit.name })
    .first()
    .waitFor()
  await page.keyboard.press('Escape')
}

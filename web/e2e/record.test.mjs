import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import {
  BASE_URL,
  DEMO_PASSWORD,
  launch,
  login,
  newPage,
  sel,
  withScreenshotOnFailure,
} from './helpers.mjs'

// The server makes a checkpoint every record.checkpoint_interval_s (60 s by default) while
// events arrive; start it with LVYUAN_RECORD_CHECKPOINT_INTERVAL_S=1 for a quick run. The
// verification is retried until this bound.
const CHECKPOINT_WAIT_MS = Number(process.env.LVYUAN_E2E_CHECKPOINT_WAIT_MS || 90_000)

describe('whole-process record', () => {
  let browser

  before(async () => {
    browser = await launch()
  })

  after(async () => {
    await browser?.close()
  })

  test('the audit admin verifies the newest event in the browser', async () => {
    const { context, page } = await newPage(browser)
    try {
      await withScreenshotOnFailure(page, 'audit-admin-verifies-event', async () => {
        await page.goto(BASE_URL + '/login')
        await login(page, 'auditadmin', DEMO_PASSWORD)
        await page.locator(sel('menu-audit')).click()
        await page.waitForURL(/\/audit/)
        const table = page.locator(sel('audit-table'))
        await table.locator(sel('event-seq')).first().waitFor()
        const seq = (await table.locator(sel('event-seq')).first().innerText()).trim()

        await table.locator('.el-table__expand-icon').first().click()
        const detail = page.locator(sel(`event-detail-${seq}`))
        await detail.waitFor()
        assert.match(await detail.locator(sel('event-leaf-hash')).innerText(), /^[0-9a-f]{64}$/)

        const ok = detail.locator(sel('verify-ok'))
        const failed = detail.locator(`${sel('verify-failed')}, ${sel('verify-error')}`)
        const deadline = Date.now() + CHECKPOINT_WAIT_MS
        for (;;) {
          await detail.locator(sel('verify-button')).click()
          // wait for this attempt to settle: the button shows a spinner while running
          await detail.locator(`${sel('verify-button')}.is-loading`).waitFor({ state: 'detached' })
          if (await ok.isVisible()) break
          if (await failed.isVisible())
            assert.fail(`verification failed: ${await failed.innerText()}`)
          assert.ok(await detail.locator(sel('verify-pending')).isVisible(), 'expected a 409 mark')
          assert.ok(Date.now() < deadline, `event ${seq} not under a checkpoint in time`)
          await page.waitForTimeout(1000)
        }
        assert.match(await ok.innerText(), /已核验/)
      })
    } finally {
      await context.close()
    }
  })

  test('an anonymous visitor checks an unrecorded hash on /verify and sees 未找到', async () => {
    const { context, page } = await newPage(browser)
    try {
      await withScreenshotOnFailure(page, 'anonymous-verify-not-found', async () => {
        await page.goto(BASE_URL + '/login')
        await page.locator(sel('login-verify-link')).click()
        await page.waitForURL(/\/verify$/)
        await page.locator(sel('verify-key-id')).waitFor()
        assert.match(await page.locator(sel('verify-key-id')).innerText(), /^[0-9a-f]{16}$/)

        await page.locator(sel('verify-hash')).fill(randomBytes(32).toString('hex'))
        await page.locator(sel('verify-submit')).click()
        const notFound = page.locator(sel('verify-not-found'))
        await notFound.waitFor()
        assert.match(await notFound.innerText(), /未找到/)
        assert.match(page.url(), /\/verify$/)
      })
    } finally {
      await context.close()
    }
  })
})

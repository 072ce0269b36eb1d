import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import {
  BASE_URL,
  DEMO_PASSWORD,
  launch,
  login,
  newPage,
  sel,
  withScreenshotOnFailure,
} from './helpers.mjs'

describe('web UI', () => {
  let browser

  before(async () => {
    browser = await launch()
  })

  after(async () => {
    await browser?.close()
  })

  test('unit admin signs in, creates a user in their unit and signs out', async () => {
    const { context, page } = await newPage(browser)
    try {
      await withScreenshotOnFailure(page, 'unit-admin-creates-user', async () => {
        await page.goto(BASE_URL + '/')
        await page.waitForURL(/\/login(\?|$)/)

        await login(page, 'hzhb_admin', DEMO_PASSWORD)
        const sidebar = page.locator(sel('sidebar'))
        await sidebar.waitFor()
        await page.locator(sel('menu-users')).waitFor()
        const menuText = await sidebar.innerText()
        assert.match(menuText, /用户管理/)
        assert.doesNotMatch(menuText, /审计日志/)

        await page.locator(sel('menu-users')).click()
        await page.waitForURL(/\/system\/users/)
        await page.locator(sel('users-table')).waitFor()

        const username = `e2e_${Date.now()}`
        await page.locator(sel('users-add')).click()
        const form = page.locator(sel('user-form'))
        await form.waitFor()
        await form.locator(sel('user-form-username')).fill(username)
        await form.locator(sel('user-form-display-name')).fill('端到端测试')
        await form.locator(sel('user-form-roles')).click()
        const option = page.locator('[data-test^="role-option-"]:not(.is-disabled)').first()
        await option.waitFor()
        await option.click()
        // close the multi-select dropdown without closing the dialog
        await form.locator(sel('user-form-display-name')).click()
        await form.locator(sel('user-form-password')).fill('Sturdy-Pass-2026')
        await page.locator(sel('user-form-submit')).click()
        await form.waitFor({ state: 'hidden' })

        // search for it so the check does not depend on the server's ordering or page size
        await page.locator(sel('users-search-q')).fill(username)
        await page.locator(sel('users-search-submit')).click()

        await page
          .locator(`${sel('users-table')} ${sel('user-row-username')}`, { hasText: username })
          .waitFor()

        // The new user's record: the creation, checked in the browser (under a checkpoint
        // within seconds on the test server), and the bundle downloads as a tar.
        await page
          .locator(`${sel('users-table')} ${sel('user-detail')}`)
          .first()
          .click()
        await page.locator(sel('object-record-tab')).click()
        const record = page.locator(sel('object-record'))
        await record.locator(sel('event-seq')).first().waitFor()
        const deadline = Date.now() + 90_000
        for (;;) {
          const marks = await record.locator('[data-test^="row-mark-"]').allInnerTexts()
          assert.ok(marks.length > 0)
          assert.ok(
            !(await record.locator(`${sel('verify-failed')}, ${sel('verify-error')}`).count()),
            `a record event failed verification: ${marks.join(' | ')}`,
          )
          if (marks.every((m) => /已核验/.test(m))) break
          // pending marks re-check by themselves once a checkpoint covers them
          assert.ok(Date.now() < deadline, `events not under a checkpoint in time: ${marks}`)
          await page.waitForTimeout(1000)
        }
        const [download] = await Promise.all([
          page.waitForEvent('download'),
          record.locator(sel('download-bundle')).click(),
        ])
        assert.match(download.suggestedFilename(), /^evidence-user-\d+-\d{4}-\d{2}-\d{2}\.tar$/)
        const tar = await readFile(await download.path())
        assert.equal(tar.subarray(257, 262).toString('latin1'), 'ustar')
        await page.keyboard.press('Escape')

        await page.locator(sel('user-menu')).click()
        await page.locator(sel('logout')).click()
        await page.locator('.el-message-box .el-button--primary').click()
        await page.waitForURL(/\/login(\?|$)/)
        await page.locator(sel('login-username')).waitFor()
      })
    } finally {
      await context.close()
    }
  })

  test('wrong password shows an error message and stays on the login page', async () => {
    const { context, page } = await newPage(browser)
    try {
      await withScreenshotOnFailure(page, 'wrong-password', async () => {
        await page.goto(BASE_URL + '/login')
        await login(page, 'hzhb_admin', 'definitely-not-the-password')
        const error = page.locator(sel('login-error'))
        await error.waitFor()
        assert.ok((await error.innerText()).trim().length > 0)
        assert.match(page.url(), /\/login/)
      })
    } finally {
      await context.close()
    }
  })
})

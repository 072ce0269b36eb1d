import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import {
  apiSession,
  BASE_URL,
  launch,
  newPage,
  PNG,
  pickUnit,
  sel,
  signInDemo,
  unitOf,
  withScreenshotOnFailure,
} from './helpers.mjs'

/** Runs `fn(page)` in a fresh browser context signed in as `username`. */
async function as(browser, username, name, fn) {
  const { context, page } = await newPage(browser)
  try {
    await withScreenshotOnFailure(page, name, async () => {
      await signInDemo(page, username)
      await fn(page)
    })
  } finally {
    await context.close()
  }
}

async function pickOption(page, field, value) {
  await page.locator(`${sel(`field-${field}`)} .el-select`).click()
  await page.locator(`${sel(`option-${field}-${value}`)}:visible`).click()
}

async function waitForState(page, state) {
  await page
    .locator(`${sel('matter-detail')} ${sel('state-chip')}`)
    .first()
    .filter({ hasText: state })
    .waitFor()
}

/** Opens an action's dialog from the header, lets `fill` fill it, submits and waits for it to close. */
async function act(page, action, fill = async () => {}) {
  await page.locator(sel(`action-${action}`)).click()
  const form = page.locator(`${sel('action-form')}:visible`)
  await form.waitFor()
  await fill(form)
  await page.locator(`${sel('action-submit')}:visible`).click()
  await form.waitFor({ state: 'hidden' })
}

describe('procedures', () => {
  let browser

  before(async () => {
    browser = await launch()
  })

  after(async () => {
    await browser?.close()
  })

  test('the ecology bureau consults public security; police post a message with a file; the bureau concludes', async () => {
    const police = await unitOf('hzga_officer')
    const title = `某河段水质异常会商 e2e ${Date.now()}`
    const policeMessage = '已派员现场取样，初步判断涉嫌污染环境罪，照片见附件。'
    const conclusion = '由公安机关立案侦查，生态环境局配合提供监测数据。'
    let url = ''

    await as(browser, 'hzhb_officer', 'consultation-open', async (page) => {
      await page.goto(BASE_URL + '/matters/new?kind=consultation')
      const form = page.locator(sel('create-form'))
      await form.waitFor()
      await form.locator(`${sel('field-title')} input`).fill(title)
      await form
        .locator(`${sel('field-description')} textarea`)
        .fill('某河段连续三日氨氮超标，请公安机关研判是否涉嫌犯罪。')
      await pickUnit(page, form, 'invited_units', police)
      await page.locator(sel('create-submit')).click()
      await page.waitForURL(/\/matters\/\d+$/)
      url = page.url()
      await page.locator(sel('layout-consultation')).waitFor()
      await waitForState(page, '会商中')
      assert.match(await page.locator(sel('value-invited_units')).innerText(), /湖州市公安局/)
      await page.locator(sel('post-box')).waitFor()
    })

    await as(browser, 'hzga_officer', 'consultation-police', async (page) => {
      await page.goto(url)
      const box = page.locator(sel('post-box'))
      await box.waitFor()
      await box.locator(`${sel('field-message')} textarea`).fill(policeMessage)
      await box.locator(sel('file-input')).setInputFiles({
        name: 'sampling.png',
        mimeType: 'image/png',
        buffer: PNG,
      })
      await box.locator(sel('file-done'), { hasText: 'sampling.png' }).waitFor()
      await box.locator(sel('inline-submit-post')).click()
      const entry = page.locator(sel('thread-entry'), { hasText: policeMessage })
      await entry.waitFor()
      assert.equal((await entry.locator(sel('thread-unit')).innerText()).trim(), '湖州市公安局')
      await entry.locator(sel('thread-file'), { hasText: 'sampling.png' }).waitFor()
      assert.match(await entry.getAttribute('class'), /mine/)
      // The post box is emptied for the next message.
      assert.equal(await box.locator(`${sel('field-message')} textarea`).inputValue(), '')
      await box.locator(sel('file-done')).waitFor({ state: 'detached' })
      // Invited units may post but not conclude.
      assert.equal(await page.locator(sel('action-conclude')).count(), 0)
    })

    await as(browser, 'hzhb_officer', 'consultation-conclude', async (page) => {
      await page.goto(url)
      const entry = page.locator(sel('thread-entry'), { hasText: policeMessage })
      await entry.waitFor()
      assert.equal((await entry.locator(sel('thread-unit')).innerText()).trim(), '湖州市公安局')
      const link = entry.locator(sel('thread-file'), { hasText: 'sampling.png' })
      assert.match(await link.getAttribute('href'), /^\/api\/v1\/evidence\/\d+\/content$/)
      assert.equal((await page.locator(sel('message-count')).innerText()).trim(), '共 1 条发言')

      await act(page, 'conclude', async (dialog) => {
        await dialog.locator(`${sel('field-conclusion')} textarea`).fill(conclusion)
      })
      await waitForState(page, '已形成结论')
      const outcome = page.locator(sel('matter-outcome'))
      await outcome.waitFor()
      assert.equal((await outcome.locator(sel('value-conclusion')).innerText()).trim(), conclusion)
      await page.locator(sel('thread-closed')).waitFor()
      assert.equal(await page.locator(sel('post-box')).count(), 0)
    })
  })

  test('a joint meeting assigns an item to the police; they report progress; the bureau at the meeting follows it', async () => {
    const police = await unitOf('hzga_officer')
    const ecology = await unitOf('hzhb_officer')
    const title = `联席会议 e2e ${Date.now()}`
    const progress = '已抽调专人梳理近三年移送案件，清单初稿本周完成。'
    // The court convenes the meeting, issues the minutes and assigns the item (set up through
    // the API; the meeting's own pages are checked below).
    const judge = await apiSession('hzzy_judge')
    const created = await judge.call('POST', '/api/v1/matters', {
      kind: 'meeting',
      fields: {
        title,
        starts_at: new Date(Date.now() + 3_600_000).toISOString(),
        place: '湖州市中级人民法院第三会议室',
        participant_units: [police.id, ecology.id],
        agenda: '研究行刑衔接证据标准。',
      },
    })
    const meetingId = created.id
    await judge.call(
      'POST',
      `/api/v1/matters/${meetingId}/actions/record_minutes`,
      { fields: { minutes: '会议议定由公安机关牵头制定证据收集清单。' } },
      1,
    )
    const assigned = await judge.call(
      'POST',
      `/api/v1/matters/${meetingId}/actions/assign_item`,
      { fields: { item_task: '制定涉嫌污染环境犯罪案件证据收集清单', item_units: [police.id] } },
      2,
    )
    const link = assigned.links.find((l) => l.relation === 'assign_item')
    assert.ok(link, 'the item is linked from the meeting')
    const itemUrl = `${BASE_URL}/matters/${link.to_matter_id}`

    await as(browser, 'hzga_officer', 'meeting-item-police', async (page) => {
      await page.goto(itemUrl)
      await page.locator(sel('layout-meeting-item')).waitFor()
      assert.equal((await page.locator(sel('item-meeting')).innerText()).trim(), title)
      assert.equal((await page.locator(sel('item-unit')).innerText()).trim(), '湖州市公安局')
      await page
        .locator(`${sel('item-info')} [data-level]`)
        .first()
        .waitFor()
      const box = page.locator(sel('post-box'))
      await box.waitFor()
      await box.locator(`${sel('field-progress')} textarea`).fill(progress)
      await box.locator(sel('inline-submit-report_progress')).click()
      const entry = page.locator(sel('thread-entry'), { hasText: progress })
      await entry.waitFor()
      assert.equal((await entry.locator(sel('thread-unit')).innerText()).trim(), '湖州市公安局')
      assert.equal((await page.locator(sel('progress-count')).innerText()).trim(), '共 1 次报送')
    })

    await as(browser, 'hzhb_officer', 'meeting-item-copied', async (page) => {
      await page.goto(itemUrl)
      await page.locator(sel('layout-meeting-item')).waitFor()
      await page.locator(sel('item-copied')).waitFor()
      await page.locator(sel('thread-entry'), { hasText: progress }).waitFor()
      assert.equal(await page.locator(sel('post-box')).count(), 0)
      assert.equal(await page.locator(sel('action-report_done')).count(), 0)
      // Back to the meeting: the item is listed with its unit and state.
      await page.locator(sel('item-meeting')).click()
      await page.waitForURL(new RegExp(`/matters/${meetingId}$`))
      const items = page.locator(sel('meeting-items'))
      await items.locator(sel('item-unit'), { hasText: '湖州市公安局' }).waitFor()
      assert.match(await items.innerText(), /办理中/)
    })
  })

  test('a notice to every unit is read by the police and the sender sees the receipt', async () => {
    const title = `关于开展春季环境执法检查的通知 e2e ${Date.now()}`
    let url = ''

    await as(browser, 'hzhb_officer', 'notice-publish', async (page) => {
      await page.goto(BASE_URL + '/matters/new?kind=notice')
      const form = page.locator(sel('create-form'))
      await form.waitFor()
      await form.locator(`${sel('field-title')} input`).fill(title)
      await pickOption(page, 'notice_type', 'notice')
      await form
        .locator(`${sel('field-body')} textarea`)
        .fill('请各成员单位于三月底前报送春季执法检查计划。')
      await page.locator(sel('create-submit')).click()
      await page.waitForURL(/\/matters\/\d+$/)
      url = page.url()
      await page.locator(sel('layout-notice')).waitFor()
      assert.match(await page.locator(sel('notice-audience')).innerText(), /全部成员单位/)
      const row = page.locator(`${sel('receipt-row')}[data-unit="湖州市公安局"]`)
      await row.waitFor()
      assert.equal(await row.getAttribute('data-read'), 'false')
      assert.match(await page.locator(sel('read-count')).innerText(), /^已阅 0 \/ 共 \d+ 家单位$/)
    })

    await as(browser, 'hzga_officer', 'notice-read', async (page) => {
      await page.goto(url)
      await page.locator(sel('layout-notice')).waitFor()
      assert.equal(await page.locator(sel('read-receipts')).count(), 0)
      await page.locator(sel('notice-confirm-read')).click()
      const form = page.locator(`${sel('action-form')}:visible`)
      await form.waitFor()
      await form.locator(`${sel('field-read_note')} input`).fill('已传达至各分局')
      await page.locator(`${sel('action-submit')}:visible`).click()
      await form.waitFor({ state: 'hidden' })
      await page.locator(sel('own-receipt'), { hasText: '本单位已于' }).waitFor()
      assert.match(await page.locator(sel('own-receipt')).innerText(), /hzga_officer/)
    })

    await as(browser, 'hzhb_officer', 'notice-receipt', async (page) => {
      await page.goto(url)
      const row = page.locator(`${sel('receipt-row')}[data-unit="湖州市公安局"][data-read="true"]`)
      await row.waitFor()
      const receipts = page.locator(sel('read-receipts'))
      assert.match(await receipts.innerText(), /已传达至各分局/)
      assert.match(await page.locator(sel('read-count')).innerText(), /^已阅 1 \/ 共 \d+ 家单位$/)
      // Filtering to the units that have not read it leaves the police out.
      await page.locator(sel('receipt-filter-unread')).click()
      await page.locator(`${sel('receipt-row')}[data-unit="湖州市公安局"]`).waitFor({
        state: 'detached',
      })
      assert.ok((await page.locator(sel('receipt-row')).count()) > 0, 'others have not read it')
    })
  })
})

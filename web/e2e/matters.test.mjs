import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import {
  launch,
  newPage,
  pickUnit,
  PNG,
  sel,
  signInDemo,
  unitOf,
  withScreenshotOnFailure,
} from './helpers.mjs'

// 统一社会信用代码 with a valid GB 32100 check character.
const CREDIT_CODE = '91350100M000100Y43'

async function signIn(page, username) {
  await signInDemo(page, username)
  await page.locator(sel('home-todos')).waitFor()
}

/** The numbers in the home page's to-do list once it has loaded. */
async function todoNumbers(page) {
  const todos = page.locator(sel('home-todos'))
  await todos.locator('.el-loading-mask').waitFor({ state: 'hidden' })
  return todos.locator(sel('todo-row')).evaluateAll((rows) => rows.map((r) => r.dataset.number))
}

async function pickOption(page, field, value) {
  await page.locator(`${sel(`field-${field}`)} .el-select`).click()
  await page.locator(`${sel(`option-${field}-${value}`)}:visible`).click()
}

async function stateOf(page) {
  return (
    await page
      .locator(`${sel('matter-detail')} ${sel('state-chip')}`)
      .first()
      .innerText()
  ).trim()
}

/** Opens an action's dialog, lets `fill` fill it, submits and waits for the new state. */
async function act(page, action, state, fill = async () => {}) {
  await page.locator(sel(`action-${action}`)).click()
  const form = page.locator(`${sel('action-form')}:visible`)
  await form.waitFor()
  await fill(form)
  await page.locator(`${sel('action-submit')}:visible`).click()
  await form.waitFor({ state: 'hidden' })
  await page
    .locator(`${sel('matter-detail')} ${sel('state-chip')}`)
    .first()
    .filter({ hasText: state })
    .waitFor()
}

describe('matters', () => {
  let browser

  before(async () => {
    browser = await launch()
  })

  after(async () => {
    await browser?.close()
  })

  test('a clue with a photo goes to the police as a suspected crime; police accept; the procuratorate supervises', async () => {
    const police = await unitOf('hzga_officer')
    const title = `某化工厂夜间偷排废水 e2e ${Date.now()}`
    let clueUrl = ''
    let transferNumber = ''

    // 1. The ecology bureau officer records the clue with a photo.
    {
      const { context, page } = await newPage(browser)
      try {
        await withScreenshotOnFailure(page, 'matters-officer', async () => {
          await signIn(page, 'hzhb_officer')
          await page.locator(sel('menu-matters-clue')).waitFor()
          const sidebar = await page.locator(sel('sidebar')).innerText()
          assert.match(sidebar, /事项办理/)
          assert.match(sidebar, /线索/)

          await page.locator(sel('menu-matters-clue')).click()
          await page.waitForURL(/\/matters\?kind=clue/)
          await page.locator(sel('chip-registered')).waitFor()
          await page.locator(sel('matters-new')).click()
          await page.waitForURL(/\/matters\/new\?kind=clue/)
          const form = page.locator(sel('create-form'))
          await form.waitFor()

          // Submitting empty shows the required fields' messages under them.
          await page.locator(sel('create-submit')).click()
          await form.locator(`${sel('field-title')} .el-form-item__error`).waitFor()
          assert.match(
            await form.locator(`${sel('field-title')} .el-form-item__error`).innerText(),
            /请填写线索标题/,
          )

          await form.locator(`${sel('field-title')} input`).fill(title)
          await pickOption(page, 'source', 'patrol')
          await pickOption(page, 'domain', 'water')
          await form.locator(`${sel('field-region')} .el-cascader`).click()
          const panel = page.locator('.el-cascader__dropdown:visible')
          await panel.locator('.el-cascader-node', { hasText: '浙江省' }).click()
          await panel.locator('.el-cascader-node', { hasText: '湖州市' }).click()
          await panel
            .locator('.el-cascader-node', { hasText: '吴兴区' })
            .locator('.el-radio')
            .click()
          await page.keyboard.press('Escape')
          await form.locator(`${sel('field-address')} input`).fill('湖州市吴兴区织里镇工业园 8 号')
          await form.locator(sel('subject-code')).fill(CREDIT_CODE)
          await form.locator(sel('subject-name')).fill('湖州某化工有限公司')
          await form
            .locator(`${sel('field-description')} textarea`)
            .fill('群众反映该厂夜间通过暗管向河道排放废水，河水发黑发臭。')
          await form.locator(sel('file-input')).setInputFiles({
            name: 'scene.png',
            mimeType: 'image/png',
            buffer: PNG,
          })
          await form.locator(sel('file-done'), { hasText: 'scene.png' }).waitFor()

          await page.locator(sel('create-submit')).click()
          await page.waitForURL(/\/matters\/\d+$/)
          clueUrl = page.url()
          await page.locator(sel('matter-title'), { hasText: title }).waitFor()
          assert.equal(await stateOf(page), '已登记')
          assert.match(
            await page.locator(sel('matter-number')).innerText(),
            /^湖环线〔\d{4}〕\d+号$/,
          )
          assert.match(await page.locator(sel('value-domain')).innerText(), /水/)
          assert.match(await page.locator(sel('value-region')).innerText(), /吴兴区/)
          await page.locator(sel('file-download'), { hasText: 'scene.png' }).waitFor()
          await page.locator(sel('timeline-event')).first().waitFor()

          // The new clue is one of the officer's to-dos.
          const number = (await page.locator(sel('matter-number')).innerText()).trim()
          await page.locator(sel('menu-home')).click()
          await page.locator(sel('home-todos')).waitFor()
          assert.ok(
            (await todoNumbers(page)).includes(number),
            'the clue is a to-do of the officer',
          )

          // 2. … and transfers it to the police as a suspected crime.
          await page.goto(clueUrl)
          await page.locator(sel('action-transfer_criminal')).waitFor()
          await act(page, 'transfer_criminal', '已移送', async (dialog) => {
            await pickUnit(page, dialog, 'police_unit', police)
            await dialog.locator(`${sel('field-suspected_offence')} input`).fill('污染环境罪')
            await dialog
              .locator(`${sel('field-transfer_note')} textarea`)
              .fill('证据已固定，请依法审查。')
          })
          const link = page.locator(sel('matter-link')).first()
          await link.filter({ hasText: '涉嫌犯罪案件移送' }).waitFor()
          transferNumber = (await link.innerText()).match(/湖环刑移〔\d{4}〕\d+号/)?.[0] ?? ''
          assert.ok(transferNumber, `linked transfer shown: ${await link.innerText()}`)
        })
      } finally {
        await context.close()
      }
    }

    // 3. The police see the transfer among their to-dos and accept it.
    {
      const { context, page } = await newPage(browser)
      try {
        await withScreenshotOnFailure(page, 'matters-police', async () => {
          await signIn(page, 'hzga_officer')
          assert.ok(
            (await todoNumbers(page)).includes(transferNumber),
            'the transfer is a to-do of the police',
          )
          assert.ok(
            Number(await page.locator(`${sel('notification-unread')} sup`).innerText()) > 0,
            'the bell shows unread notifications',
          )
          await page
            .locator(`${sel('home-todos')} ${sel('todo-row')}[data-number="${transferNumber}"]`)
            .click()
          await page.waitForURL(/\/matters\/\d+$/)
          assert.equal(await stateOf(page), '待接受')
          await page.locator(sel('file-download'), { hasText: 'scene.png' }).waitFor()
          await act(page, 'accept', '已接受待决定')
          await page.locator(sel('action-file_case')).waitFor()
        })
      } finally {
        await context.close()
      }
    }

    // 4. The procuratorate, copied automatically, opens filing supervision.
    {
      const { context, page } = await newPage(browser)
      try {
        await withScreenshotOnFailure(page, 'matters-procurator', async () => {
          await signIn(page, 'hzjc_procurator')
          const todos = await todoNumbers(page)
          assert.ok(todos.includes(transferNumber), 'the copy is a to-do of the procuratorate')
          assert.ok(!todos.some((n) => /湖环线/.test(n ?? '')), 'the clue itself is not theirs')
          await page
            .locator(`${sel('home-todos')} ${sel('todo-row')}[data-number="${transferNumber}"]`)
            .click()
          await page.waitForURL(/\/matters\/\d+$/)
          await page.locator(`${sel('matter-participants')} ${sel('relation-copied')}`).waitFor()
          await act(page, 'open_supervision', '立案监督中', async (dialog) => {
            await dialog
              .locator(`${sel('field-supervision_opinion')} textarea`)
              .fill('请说明不立案理由，依法及时作出立案决定。')
          })
          await page
            .locator(`${sel('matter-participants')} ${sel('relation-supervisor')}`)
            .waitFor()

          // The clue of the ecology bureau stays invisible to the procuratorate.
          await page.goto(clueUrl)
          await page.getByText('事项不存在或无权查看').waitFor()

          // 5. The company's page (相对人) lists the transfer the procuratorate takes part
          // in, and not the clue it cannot see.
          await page.locator(sel('menu-subjects')).click()
          await page.locator(sel('subjects-search-q')).fill(CREDIT_CODE)
          await page.locator(sel('subjects-search-submit')).click()
          await page.locator(sel('subject-row-name')).first().click()
          await page.waitForURL(/\/subjects\/\d+$/)
          assert.equal((await page.locator(sel('subject-code')).innerText()).trim(), CREDIT_CODE)
          const rows = page.locator(`${sel('subject-matters')} ${sel('matter-row-number')}`)
          await rows.filter({ hasText: transferNumber }).waitFor()
          const numbers = await rows.allInnerTexts()
          assert.ok(
            !numbers.some((n) => /湖环线/.test(n)),
            `the clue is not listed: ${numbers.join(', ')}`,
          )
        })
      } finally {
        await context.close()
      }
    }
  })
})

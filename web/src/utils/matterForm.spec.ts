import { describe, expect, it } from 'vitest'
import { ApiError } from '@/api/http'
import { i18n } from '@/i18n'
import { everyField, sampleDef } from '@/test/workflows'
import {
  buildFields,
  emptyValue,
  emptyValues,
  fenToYuan,
  fieldErrorOf,
  formItems,
  formatYuan,
  isValidCreditCode,
  isValidIdNumber,
  mayAct,
  requiredMessage,
  toApiValue,
  validateValue,
  widgetFor,
  yuanToFen,
  type FormValue,
} from './matterForm'

const t = (key: string, params?: Record<string, unknown>) =>
  params ? i18n.global.t(key, params) : i18n.global.t(key)
const field = (name: string) => everyField.find((f) => f.name === name)!
const check = (name: string, value: FormValue, required = false, locale = 'zh-CN') =>
  validateValue(field(name), value, required, locale, t)

describe('widgetFor', () => {
  it('gives every field type its input', () => {
    expect(Object.fromEntries(everyField.map((f) => [f.type, widgetFor(f.type)]))).toEqual({
      text: 'input',
      richtext: 'textarea',
      number: 'number',
      money: 'money',
      date: 'date',
      datetime: 'datetime',
      enum: 'select',
      region: 'region',
      subject: 'subject',
      unit: 'unit',
      units: 'units',
      files: 'files',
      geo: 'geo',
    })
  })
})

describe('formItems', () => {
  it('lists the action fields in the action order with their required flags', () => {
    const def = sampleDef()
    const items = formItems(def, def.actions[0]!)
    expect(items.map((i) => [i.field.name, i.required])).toEqual([
      ['note', true],
      ['fine', false],
    ])
  })

  it('skips names the definition does not have', () => {
    const def = sampleDef()
    expect(
      formItems(def, { ...def.create, fields: ['nope', 'title'] }).map((i) => i.field.name),
    ).toEqual(['title'])
  })
})

describe('money', () => {
  it('converts yuan to whole fen and back without float noise', () => {
    expect(yuanToFen(1234.56)).toBe(123456)
    expect(yuanToFen(0.1 + 0.2)).toBe(30)
    expect(yuanToFen(19.99)).toBe(1999)
    expect(fenToYuan(123456)).toBe(1234.56)
  })

  it('shows fen as yuan with two decimals', () => {
    expect(formatYuan(123456)).toBe('1,234.56 元')
    expect(formatYuan(5, 'en')).toBe('¥0.05')
    expect(formatYuan(null)).toBe('')
  })

  it('sends the entered yuan as fen and checks bounds in fen', () => {
    expect(toApiValue(field('fine'), 2000.5)).toBe(200050)
    expect(check('fine', 100_000)).toBe('')
    expect(check('fine', 100_000.01)).toBe('罚款金额超出允许范围')
    expect(check('fine', -1)).toBe('罚款金额超出允许范围')
  })
})

describe('toApiValue / buildFields', () => {
  it('leaves out empty values of every type', () => {
    for (const f of everyField) expect(toApiValue(f, emptyValue(f)), f.name).toBeUndefined()
  })

  it('converts each type to what the API takes', () => {
    expect(toApiValue(field('title'), '  偷排  ')).toBe('偷排')
    expect(toApiValue(field('count'), 3)).toBe(3)
    expect(toApiValue(field('on'), '2026-02-13')).toBe('2026-02-13')
    expect(toApiValue(field('at'), new Date(Date.UTC(2026, 1, 13, 1, 2, 3)))).toBe(
      '2026-02-13T01:02:03.000Z',
    )
    expect(toApiValue(field('source'), 'patrol')).toBe('patrol')
    expect(toApiValue(field('region'), '330502')).toBe('330502')
    expect(toApiValue(field('police_unit'), 6)).toBe(6)
    expect(toApiValue(field('recipients'), [6, 7])).toEqual([6, 7])
    expect(toApiValue(field('attachments'), [{ id: 9, name: 'a.jpg', size: 3 }])).toEqual([9])
    expect(toApiValue(field('location'), { lat: 30.87, lng: 120.09 })).toEqual({
      lat: 30.87,
      lng: 120.09,
    })
  })

  it('sends a company by credit code and a person by ID number, upper-cased', () => {
    expect(
      toApiValue(field('subject'), {
        kind: 'company',
        code: '91330500mA2b3c4d5e',
        name: ' 某化工 ',
      }),
    ).toEqual({ kind: 'company', credit_code: '91330500MA2B3C4D5E', name: '某化工' })
    expect(
      toApiValue(field('subject'), { kind: 'person', code: '11010519491231002x', name: '张三' }),
    ).toEqual({ kind: 'person', id_number: '11010519491231002X', name: '张三' })
  })

  it('builds the fields object with only the filled fields', () => {
    const def = sampleDef()
    const items = formItems(def, def.create)
    const values = emptyValues(items)
    values.title = '夜间偷排'
    values.fine = 12.5
    values.recipients = [3]
    expect(buildFields(items, values)).toEqual({ title: '夜间偷排', fine: 1250, recipients: [3] })
  })
})

describe('validateValue', () => {
  it('asks for required fields with the message of their kind', () => {
    expect(check('title', '', true)).toBe('请填写标题')
    expect(check('source', '', true)).toBe('请选择线索来源')
    expect(check('on', '', true)).toBe('请选择发现日期')
    expect(check('recipients', [], true)).toBe('请选择接收单位')
    expect(check('attachments', [], true)).toBe('请上传附件')
    expect(check('location', { lat: null, lng: null }, true)).toBe('请标注位置坐标')
    i18n.global.locale.value = 'en'
    try {
      expect(check('title', '', true, 'en')).toBe('Please fill in Title')
    } finally {
      i18n.global.locale.value = 'zh-CN'
    }
    expect(check('title', '   ', false)).toBe('')
  })

  it('matches the server messages for the required-field kinds', () => {
    // docs/workflows.md: 请填写… / 请选择… (choices, dates, units) / 请上传… / 请标注…
    const msgs = everyField.map((f) => requiredMessage(f, 'zh-CN', t).slice(0, 3))
    expect(new Set(msgs)).toEqual(new Set(['请填写', '请选择', '请上传', '请标注']))
  })

  it('checks lengths in characters, one line and no HTML', () => {
    expect(check('title', '一二三四五六七八九十')).toBe('')
    expect(check('title', '一二三四五六七八九十一')).toBe('标题不能超过 10 个字')
    expect(check('title', '𠀀𠀀𠀀𠀀𠀀𠀀𠀀𠀀𠀀𠀀')).toBe('')
    expect(check('note', '短')).toBe('说明不能少于 3 个字')
    expect(check('note', '<b>加粗</b> 不行')).toBe('说明不能包含 HTML 标签')
    expect(check('note', '第一段\n第二段')).toBe('')
  })

  it('checks number bounds and whole numbers', () => {
    expect(check('count', 0)).toBe('数量超出允许范围')
    expect(check('count', 2.5)).toBe('数量应为整数')
    expect(check('count', 9)).toBe('')
  })

  it('checks the item counts of lists', () => {
    expect(check('recipients', [1, 2, 3])).toBe('接收单位最多 2 项')
    expect(check('attachments', [{ id: 1, name: 'a', size: 1 }])).toBe('')
  })

  it('checks the check character of credit codes and the check digit of ID numbers', () => {
    expect(isValidCreditCode('91330500MA2B3C4D5E')).toBe(false)
    expect(isValidCreditCode('91350100M000100Y43')).toBe(true)
    expect(isValidIdNumber('11010519491231002X')).toBe(true)
    expect(isValidIdNumber('110105194912310021')).toBe(false)
    expect(check('subject', { kind: 'company', code: '91350100M000100Y43', name: '某公司' })).toBe(
      '',
    )
    expect(
      check('subject', { kind: 'company', code: '91350100M000100Y44', name: '某公司' }),
    ).toMatch(/统一社会信用代码/)
    expect(check('subject', { kind: 'person', code: '11010519491231002X', name: '' })).toBe(
      '请填写名称或姓名',
    )
  })

  it('needs both coordinates inside the bounds', () => {
    expect(check('location', { lat: 30.8, lng: null })).toBe('请标注位置坐标')
    expect(check('location', { lat: 60, lng: 120 })).toBe('位置坐标超出允许的经纬度范围')
    expect(check('location', { lat: 30.87, lng: 120.09 })).toBe('')
  })
})

describe('fieldErrorOf', () => {
  it('puts a server error under the field it names, also for a path inside the field', () => {
    const props = ['subject', 'recipients', 'title']
    expect(
      fieldErrorOf(new ApiError(400, 'INVALID_ARGUMENT', '请填写线索标题', 'title'), props),
    ).toEqual({
      prop: 'title',
      message: '请填写线索标题',
    })
    expect(
      fieldErrorOf(
        new ApiError(400, 'INVALID_ARGUMENT', '校验位不正确', 'subject.credit_code'),
        props,
      ),
    ).toEqual({ prop: 'subject', message: '校验位不正确' })
    expect(
      fieldErrorOf(new ApiError(400, 'INVALID_ARGUMENT', 'x', 'recipients[1]'), props)?.prop,
    ).toBe('recipients')
  })

  it('gives null for errors without a field of the form', () => {
    expect(fieldErrorOf(new ApiError(409, 'ABORTED', '事项已被他人修改', ''), ['title'])).toBeNull()
    expect(
      fieldErrorOf(new ApiError(400, 'INVALID_ARGUMENT', 'x', 'If-Match'), ['title']),
    ).toBeNull()
    expect(fieldErrorOf(new Error('boom'), ['title'])).toBeNull()
  })
})

describe('mayAct', () => {
  it('passes a rule by role and unit type', () => {
    const def = sampleDef()
    const close = def.actions[0]!
    expect(mayAct(close, ['enforcement_officer'], 'ecology_environment')).toBe(true)
    expect(mayAct(close, ['enforcement_officer'], 'public_security')).toBe(false)
    expect(mayAct(close, ['police_officer'], 'ecology_environment')).toBe(false)
    expect(mayAct(def.create, ['enforcement_officer'], 'forestry')).toBe(true)
  })
})

describe('multiple enums', () => {
  const audience = {
    name: 'audience_types',
    type: 'enum' as const,
    labels: { zh: '发送单位类型', en: 'Unit types' },
    multiple: true,
    min_items: 1,
    max_items: 2,
    items: [
      { value: 'court', zh: '人民法院', en: 'Court' },
      { value: 'procuratorate', zh: '人民检察院', en: 'Procuratorate' },
      { value: 'public_security', zh: '公安机关', en: 'Public security' },
    ],
  }
  const checkList = (value: FormValue, required = false) =>
    validateValue(audience, value, required, 'zh-CN', t)

  it('start as an empty list, count as empty while empty and ask to choose', () => {
    expect(emptyValue(audience)).toEqual([])
    expect(checkList([], true)).toBe('请选择发送单位类型')
    expect(toApiValue(audience, [])).toBeUndefined()
  })

  it('check the number of chosen values', () => {
    expect(checkList(['court', 'procuratorate', 'public_security'])).toBe('发送单位类型最多 2 项')
    expect(checkList(['court'])).toBe('')
  })

  it('are sent as a list without duplicates', () => {
    expect(toApiValue(audience, ['court', 'court', 'procuratorate'])).toEqual([
      'court',
      'procuratorate',
    ])
  })
})

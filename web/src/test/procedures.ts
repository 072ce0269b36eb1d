import type { Matter, TimelineEvent, WorkflowDef } from '@/api/types'

/**
 * Abridged consultation, notice and meeting definitions (workflows/*.json) as GET
 * /api/v1/workflows serves them, and builders of matters and timeline events.
 */
const labels = (zh: string, en = zh) => ({ zh, en })
const owner = [{ roles: [], unit_types: [], relation: 'owner' }]
const recipient = [{ roles: [], unit_types: [], relation: 'recipient' }]

export const consultationDef = (): WorkflowDef => ({
  kind: 'consultation',
  labels: labels('会商', 'Consultation'),
  number: { word: '商', pattern: '{unit}{word}〔{year}〕{seq}号' },
  fields: [
    { name: 'title', type: 'text', labels: labels('会商议题', 'Topic'), max_length: 100 },
    { name: 'description', type: 'richtext', labels: labels('会商事项说明') },
    { name: 'invited_units', type: 'units', labels: labels('参与会商单位'), min_items: 1 },
    { name: 'message', type: 'richtext', labels: labels('发言内容', 'Message'), transient: true },
    {
      name: 'message_files',
      type: 'files',
      labels: labels('发言附件'),
      max_items: 20,
      transient: true,
    },
    { name: 'new_units', type: 'units', labels: labels('增邀单位'), transient: true },
    { name: 'conclusion', type: 'richtext', labels: labels('会商结论', 'Conclusion') },
    { name: 'reason', type: 'richtext', labels: labels('撤销理由') },
  ],
  states: [
    { name: 'open', labels: labels('会商中'), initial: true, final: false, category: 'processing' },
    {
      name: 'concluded',
      labels: labels('已形成结论'),
      initial: false,
      final: true,
      category: 'success',
    },
    {
      name: 'cancelled',
      labels: labels('已撤销'),
      initial: false,
      final: true,
      category: 'closed',
    },
  ],
  create: {
    name: 'create',
    labels: labels('发起会商'),
    actors: [{ roles: [], unit_types: [], relation: 'any' }],
    fields: ['title', 'description', 'invited_units'],
    required: ['title', 'description', 'invited_units'],
  },
  actions: [
    {
      name: 'post',
      labels: labels('发言', 'Post a message'),
      from: ['open'],
      actors: [...owner, ...recipient],
      fields: ['message', 'message_files'],
      required: ['message'],
      style: 'primary',
    },
    {
      name: 'invite',
      labels: labels('增邀单位'),
      from: ['open'],
      actors: owner,
      fields: ['new_units'],
      required: ['new_units'],
    },
    {
      name: 'conclude',
      labels: labels('形成会商结论'),
      from: ['open'],
      to: 'concluded',
      actors: owner,
      fields: ['conclusion'],
      required: ['conclusion'],
    },
    {
      name: 'cancel',
      labels: labels('撤销会商'),
      from: ['open'],
      to: 'cancelled',
      actors: owner,
      fields: ['reason'],
      required: ['reason'],
    },
  ],
  deadlines: [],
})

export const noticeDef = (): WorkflowDef => ({
  kind: 'notice',
  labels: labels('通知公告', 'Notice'),
  number: { word: '通', pattern: '{unit}{word}〔{year}〕{seq}号' },
  fields: [
    { name: 'title', type: 'text', labels: labels('标题') },
    { name: 'body', type: 'richtext', labels: labels('正文', 'Text') },
    {
      name: 'audience_types',
      type: 'enum',
      labels: labels('发送单位类型'),
      dict: 'unit_types',
      multiple: true,
      max_items: 2,
      items: [
        { value: 'court', zh: '人民法院', en: 'Court' },
        { value: 'public_security', zh: '公安机关', en: 'Public security' },
        { value: 'procuratorate', zh: '人民检察院', en: 'Procuratorate' },
      ],
    },
    { name: 'audience_region', type: 'region', labels: labels('发送地区') },
    { name: 'read_note', type: 'text', labels: labels('阅读回执'), transient: true },
    { name: 'reason', type: 'richtext', labels: labels('撤回理由') },
  ],
  states: [
    {
      name: 'published',
      labels: labels('已发布'),
      initial: true,
      final: false,
      category: 'processing',
    },
    {
      name: 'withdrawn',
      labels: labels('已撤回'),
      initial: false,
      final: true,
      category: 'closed',
    },
  ],
  create: {
    name: 'create',
    labels: labels('发布通知公告'),
    actors: [{ roles: [], unit_types: [], relation: 'any' }],
    fields: ['title', 'body', 'audience_types', 'audience_region'],
    required: ['title', 'body'],
  },
  actions: [
    {
      name: 'read',
      labels: labels('确认已阅', 'Confirm reading'),
      from: ['published'],
      actors: recipient,
      fields: ['read_note'],
      required: [],
      style: 'primary',
    },
    {
      name: 'withdraw',
      labels: labels('撤回'),
      from: ['published'],
      to: 'withdrawn',
      actors: owner,
      fields: ['reason'],
      required: ['reason'],
      style: 'danger',
    },
  ],
  deadlines: [],
})

export const meetingDef = (): WorkflowDef => ({
  kind: 'meeting',
  labels: labels('联席会议', 'Joint meeting'),
  number: { word: '会', pattern: '{unit}{word}〔{year}〕{seq}号' },
  fields: [
    { name: 'title', type: 'text', labels: labels('会议名称') },
    { name: 'starts_at', type: 'datetime', labels: labels('会议时间') },
    { name: 'place', type: 'text', labels: labels('会议地点') },
    { name: 'participant_units', type: 'units', labels: labels('参会单位') },
    { name: 'agenda', type: 'richtext', labels: labels('会议议程') },
    { name: 'minutes', type: 'richtext', labels: labels('会议纪要') },
    { name: 'item_task', type: 'richtext', labels: labels('交办事项'), transient: true },
    { name: 'item_units', type: 'units', labels: labels('承办单位'), transient: true },
  ],
  states: [
    {
      name: 'scheduled',
      labels: labels('待召开'),
      initial: true,
      final: false,
      category: 'pending',
    },
    {
      name: 'minutes_recorded',
      labels: labels('纪要已印发'),
      initial: false,
      final: false,
      category: 'processing',
    },
    { name: 'closed', labels: labels('已办结'), initial: false, final: true, category: 'closed' },
  ],
  create: {
    name: 'create',
    labels: labels('安排会议'),
    actors: [{ roles: [], unit_types: [], relation: 'any' }],
    fields: ['title', 'starts_at', 'place', 'participant_units', 'agenda'],
    required: ['title'],
  },
  actions: [
    {
      name: 'record_minutes',
      labels: labels('印发会议纪要'),
      from: ['scheduled'],
      to: 'minutes_recorded',
      actors: owner,
      fields: ['minutes'],
      required: ['minutes'],
    },
    {
      name: 'assign_item',
      labels: labels('交办事项'),
      from: ['minutes_recorded'],
      actors: owner,
      fields: ['item_task', 'item_units'],
      required: ['item_task', 'item_units'],
    },
    {
      name: 'close',
      labels: labels('办结'),
      from: ['minutes_recorded'],
      to: 'closed',
      actors: owner,
      fields: [],
      required: [],
    },
  ],
  deadlines: [],
})

export const meetingItemDef = (): WorkflowDef => ({
  kind: 'meeting_item',
  labels: labels('会议交办事项'),
  number: { word: '办', pattern: '{unit}{word}〔{year}〕{seq}号' },
  fields: [
    { name: 'meeting_title', type: 'text', labels: labels('所属会议') },
    { name: 'task', type: 'richtext', labels: labels('交办事项') },
    { name: 'assignee', type: 'unit', labels: labels('承办单位') },
    { name: 'progress', type: 'richtext', labels: labels('进展情况'), transient: true },
    { name: 'progress_files', type: 'files', labels: labels('进展材料'), transient: true },
    { name: 'result', type: 'richtext', labels: labels('办理结果') },
  ],
  states: [
    {
      name: 'assigned',
      labels: labels('办理中'),
      initial: true,
      final: false,
      category: 'processing',
    },
    { name: 'done', labels: labels('已销号'), initial: false, final: true, category: 'success' },
  ],
  create: {
    name: 'create',
    labels: labels('交办'),
    actors: [{ roles: [], unit_types: [], relation: 'any' }],
    fields: ['task', 'assignee'],
    required: ['task', 'assignee'],
  },
  actions: [
    {
      name: 'report_progress',
      labels: labels('报送进展'),
      from: ['assigned'],
      actors: recipient,
      fields: ['progress', 'progress_files'],
      required: ['progress'],
    },
    {
      name: 'confirm_done',
      labels: labels('销号'),
      from: ['assigned'],
      to: 'done',
      actors: owner,
      fields: ['result'],
      required: [],
    },
  ],
  deadlines: [],
})

export const units = {
  ecology: { unit_id: 7, unit_name: '湖州市生态环境局', unit_type: 'ecology_environment' },
  police: { unit_id: 6, unit_name: '湖州市公安局', unit_type: 'public_security' },
  court: { unit_id: 3, unit_name: '湖州市中级人民法院', unit_type: 'court' },
}

export function procedureMatter(over: Partial<Matter> & Pick<Matter, 'kind'>): Matter {
  return {
    id: 50,
    kind_label: '',
    number: '湖环商〔2026〕1号',
    title: '某河段水质异常会商',
    state: 'open',
    state_label: '',
    state_category: 'processing',
    owner_unit_id: 7,
    owner_unit_name: '湖州市生态环境局',
    region_code: '330500',
    domain: '',
    subject_id: null,
    amount_fen: null,
    created_at: '2026-03-02T01:00:00.000Z',
    updated_at: '2026-03-02T01:00:00.000Z',
    next_deadline_at: null,
    overdue: false,
    version: 1,
    created_by: 6,
    fields: {},
    participants: [
      { ...units.ecology, relation: 'owner', added_at: '2026-03-02T01:00:00.000Z' },
      { ...units.police, relation: 'recipient', added_at: '2026-03-02T01:00:00.000Z' },
    ],
    deadlines: [],
    links: [],
    files: [],
    relations: ['owner'],
    allowed_actions: [],
    ...over,
  }
}

let nextSeq = 100

/** A timeline event of `action` (`post`), by a user of `unitId`, entering `fields`. */
export function actionEvent(
  action: string,
  unitId: number,
  username: string,
  fields: Record<string, unknown>,
  at = '2026-03-02T02:00:00.000Z',
): TimelineEvent {
  return {
    seq: nextSeq++,
    at,
    actor_user_id: 1,
    actor_username: username,
    actor_unit_id: unitId,
    action: `matter.${action}`,
    outcome: 'ok',
    changes: Object.fromEntries(
      Object.entries(fields).map(([k, v]) => [`fields.${k}`, { before: null, after: v }]),
    ),
    files: [],
    detail: {},
    leaf_hash: '00',
  }
}

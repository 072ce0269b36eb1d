import type { WorkflowDef, WorkflowField } from '@/api/types'

const labels = (zh: string, en = zh) => ({ zh, en })

/** One field of every type, as GET /api/v1/workflows serves them. */
export const everyField: WorkflowField[] = [
  { name: 'title', type: 'text', labels: labels('标题', 'Title'), max_length: 10 },
  { name: 'note', type: 'richtext', labels: labels('说明', 'Note'), min_length: 3 },
  { name: 'count', type: 'number', labels: labels('数量'), min: 1, max: 9, integer: true },
  { name: 'fine', type: 'money', labels: labels('罚款金额', 'Fine'), max: 100_000_00 },
  { name: 'on', type: 'date', labels: labels('发现日期') },
  { name: 'at', type: 'datetime', labels: labels('发生时间') },
  {
    name: 'source',
    type: 'enum',
    labels: labels('线索来源', 'Source'),
    dict: 'clue_sources',
    items: [
      { value: 'complaint', zh: '群众举报', en: 'Complaint' },
      { value: 'patrol', zh: '日常巡查', en: 'Patrol' },
    ],
  },
  { name: 'region', type: 'region', labels: labels('所在地区') },
  { name: 'subject', type: 'subject', labels: labels('涉及对象') },
  { name: 'police_unit', type: 'unit', labels: labels('移送公安机关') },
  { name: 'recipients', type: 'units', labels: labels('接收单位'), min_items: 1, max_items: 2 },
  { name: 'attachments', type: 'files', labels: labels('附件'), max_items: 3 },
  {
    name: 'location',
    type: 'geo',
    labels: labels('位置坐标'),
    bounds: { min_lat: 3.8, max_lat: 53.6, min_lng: 73.5, max_lng: 135.1 },
  },
]

export const sampleDef = (): WorkflowDef => ({
  kind: 'sample',
  labels: labels('样例', 'Sample'),
  number: { word: '样', pattern: '{unit}{word}〔{year}〕{seq}号' },
  fields: everyField,
  states: [
    { name: 'open', labels: labels('办理中'), initial: true, final: false, category: 'processing' },
    { name: 'done', labels: labels('已办结'), initial: false, final: true, category: 'success' },
  ],
  create: {
    name: 'create',
    labels: labels('登记'),
    actors: [{ roles: ['enforcement_officer'], unit_types: [], relation: 'any' }],
    fields: everyField.map((f) => f.name),
    required: ['title', 'source'],
  },
  actions: [
    {
      name: 'close',
      labels: labels('办结', 'Close'),
      from: ['open'],
      to: 'done',
      style: 'primary',
      actors: [
        { roles: ['enforcement_officer'], unit_types: ['ecology_environment'], relation: 'owner' },
      ],
      fields: ['note', 'fine'],
      required: ['note'],
    },
    {
      name: 'supervise',
      labels: labels('监督'),
      from: ['open'],
      to: 'open',
      actors: [{ roles: ['procurator'], unit_types: ['procuratorate'], relation: 'copied' }],
      fields: [],
      required: [],
    },
  ],
  deadlines: [],
})

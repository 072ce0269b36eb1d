import type { Me } from '@/api/types'

export const sampleMe = (over: Partial<Me> = {}): Me => ({
  id: 4,
  username: 'hzhb_admin',
  display_name: '张三',
  unit: { id: 3, name: '湖州市生态环境局', type: 'ecology_environment' },
  roles: ['unit_admin'],
  permissions: ['system:user:list', 'system:user:add'],
  totp_enabled: false,
  totp_required: false,
  must_enrol_totp: false,
  ...over,
})

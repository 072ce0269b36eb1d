import { ref } from 'vue'
import { useI18n } from 'vue-i18n'
import { roleApi } from '@/api'
import type { Role } from '@/api/types'

let cached: Promise<Role[]> | null = null

export function loadRoles(): Promise<Role[]> {
  if (!cached) {
    cached = roleApi.list().then(
      (res) => res.items,
      (err: unknown) => {
        cached = null
        throw err
      },
    )
  }
  return cached
}

export function clearRolesCache(): void {
  cached = null
}

/** Role list with locale-aware names; falls back to the code when the list is unavailable. */
export function useRoles() {
  const { locale } = useI18n()
  const roles = ref<Role[]>([])
  const ready = loadRoles()
    .then((list) => {
      roles.value = list
    })
    .catch(() => {
      roles.value = []
    })
  const roleName = (code: string) => {
    const role = roles.value.find((r) => r.code === code)
    if (!role) return code
    return locale.value === 'en' ? role.name_en : role.name_zh
  }
  return { roles, roleName, ready }
}

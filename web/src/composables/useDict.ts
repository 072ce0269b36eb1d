import { computed, ref, type Ref } from 'vue'
import { useI18n } from 'vue-i18n'
import { dictApi } from '@/api'
import type { DictItem } from '@/api/types'

const cache = new Map<string, Promise<DictItem[]>>()

/** Loads a dictionary once per page life; concurrent and later callers share the same request. */
export function loadDict(name: string): Promise<DictItem[]> {
  let pending = cache.get(name)
  if (!pending) {
    pending = dictApi.get(name).then(
      (res) => res.items,
      (err: unknown) => {
        cache.delete(name) // let a later caller retry
        throw err
      },
    )
    cache.set(name, pending)
  }
  return pending
}

/** Forgets cached dictionaries (tests, or after signing in as someone else). */
export function clearDictCache(): void {
  cache.clear()
}

export function dictLabel(items: DictItem[], value: string, locale: string): string {
  const item = items.find((i) => i.value === value)
  if (!item) return value
  return locale === 'en' ? item.label_en : item.label_zh
}

export interface UseDict {
  items: Ref<DictItem[]>
  loading: Ref<boolean>
  options: Ref<{ value: string; label: string }[]>
  label: (value: string) => string
  ready: Promise<void>
}

/** Reactive access to a server dictionary (e.g. `unit_types`) with locale-aware labels. */
export function useDict(name: string): UseDict {
  const { locale } = useI18n()
  const items = ref<DictItem[]>([])
  const loading = ref(true)
  const ready = loadDict(name)
    .then((list) => {
      items.value = list
    })
    .catch(() => {
      items.value = []
    })
    .finally(() => {
      loading.value = false
    })
  const options = computed(() =>
    items.value.map((i) => ({ value: i.value, label: dictLabel([i], i.value, locale.value) })),
  )
  const label = (value: string) => dictLabel(items.value, value, locale.value)
  return { items, loading, options, label, ready }
}

import { ref } from 'vue'

/**
 * Units met in the matters this page has shown (participants), so a unit id in a matter's
 * fields can be shown by its name. Lives for the page's life.
 */
export const knownUnits = ref<{ id: number; name: string }[]>([])

export function rememberUnits(units: { unit_id: number; unit_name: string }[]): void {
  const byId = new Map(knownUnits.value.map((u) => [u.id, u]))
  let changed = false
  for (const u of units) {
    if (!u.unit_name || byId.get(u.unit_id)?.name === u.unit_name) continue
    byId.set(u.unit_id, { id: u.unit_id, name: u.unit_name })
    changed = true
  }
  if (changed) knownUnits.value = [...byId.values()].sort((a, b) => a.id - b.id)
}

export function clearKnownUnits(): void {
  knownUnits.value = []
}

import type { Unit, UnitInput } from '@/api/types'

export interface UnitFormModel {
  name: string
  type: string
  region_code: string
  parent_id: number | null
  contact_person: string
  contact_phone: string
}

/** Props of the unit form's items; server `field` values outside this list go to a toast. */
export const unitFormProps = [
  'name',
  'type',
  'region_code',
  'parent_id',
  'contact_person',
  'contact_phone',
] as const

export function emptyUnitForm(): UnitFormModel {
  return {
    name: '',
    type: '',
    region_code: '',
    parent_id: null,
    contact_person: '',
    contact_phone: '',
  }
}

export function unitToForm(unit: Unit): UnitFormModel {
  return {
    name: unit.name,
    type: unit.type,
    region_code: unit.region_code,
    parent_id: unit.parent_id,
    contact_person: unit.contact_person ?? '',
    contact_phone: unit.contact_phone ?? '',
  }
}

/** Body for POST /units: trims text and leaves out empty optional fields. */
export function createBody(form: UnitFormModel): UnitInput {
  const body: UnitInput = {
    name: form.name.trim(),
    type: form.type,
    region_code: form.region_code,
  }
  if (form.parent_id) body.parent_id = form.parent_id
  if (form.contact_person.trim()) body.contact_person = form.contact_person.trim()
  if (form.contact_phone.trim()) body.contact_phone = form.contact_phone.trim()
  return body
}

/** Body for PATCH /units/{id}: only the fields that differ from the stored unit. */
export function patchBody(original: Unit, form: UnitFormModel): UnitInput {
  const before = unitToForm(original)
  const body: UnitInput = {}
  if (form.name.trim() !== before.name) body.name = form.name.trim()
  if (form.type !== before.type) body.type = form.type
  if (form.region_code !== before.region_code) body.region_code = form.region_code
  if ((form.parent_id ?? null) !== (before.parent_id ?? null)) body.parent_id = form.parent_id
  if (form.contact_person.trim() !== before.contact_person) {
    body.contact_person = form.contact_person.trim()
  }
  if (form.contact_phone.trim() !== before.contact_phone) {
    body.contact_phone = form.contact_phone.trim()
  }
  return body
}

/** Display helpers for subjects (行政相对人) shared by their list and detail pages. */
import type { Subject, SubjectDetail } from '@/api/types'

/**
 * The number a subject is known by: a company's unified social credit code; a person's ID number
 * in full when the answer carries it (`id_number_shown`), masked otherwise.
 */
export function subjectCode(s: Subject | SubjectDetail): string {
  if (s.kind === 'company') return s.credit_code ?? ''
  if ('id_number_shown' in s && s.id_number_shown && s.id_number) return s.id_number
  return s.id_number_masked ?? ''
}

/** 企业 / 个人 (the kind as the server names it for anything else). */
export function subjectKindLabel(kind: string, t: (key: string) => string): string {
  if (kind === 'company') return t('subjects.kinds.company')
  if (kind === 'person') return t('subjects.kinds.person')
  return kind ?? ''
}

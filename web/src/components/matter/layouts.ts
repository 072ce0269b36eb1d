import type { Component } from 'vue'
import ConsultationLayout from './ConsultationLayout.vue'
import MeetingItemLayout from './MeetingItemLayout.vue'
import MeetingLayout from './MeetingLayout.vue'
import NoticeLayout from './NoticeLayout.vue'

/**
 * The kinds whose detail page has a layout of its own, in place of the generic list of fields
 * (the participants, deadlines, links, files and timeline stay below it). A layout takes
 * `def` and `matter`, and emits `act` (open an action's dialog), `done` (an action it took
 * itself changed the matter) and `conflict` (someone acted first: reload). Any other kind
 * falls back to the generic detail.
 */
const layouts: Record<string, Component> = {
  consultation: ConsultationLayout,
  meeting: MeetingLayout,
  meeting_item: MeetingItemLayout,
  notice: NoticeLayout,
}

export function layoutFor(kind: string): Component | undefined {
  return layouts[kind]
}

import { createI18n } from 'vue-i18n'
import zhCN from '@/locales/zh-CN'
import en from '@/locales/en'

export type AppLocale = 'zh-CN' | 'en'
export const LOCALE_STORAGE_KEY = 'lvyuan.locale'
export const supportedLocales: AppLocale[] = ['zh-CN', 'en']

export function normaliseLocale(value: string | null | undefined): AppLocale {
  return value === 'en' ? 'en' : 'zh-CN'
}

function initialLocale(): AppLocale {
  try {
    return normaliseLocale(localStorage.getItem(LOCALE_STORAGE_KEY))
  } catch {
    return 'zh-CN'
  }
}

export const i18n = createI18n({
  legacy: false,
  locale: initialLocale(),
  fallbackLocale: 'zh-CN',
  messages: { 'zh-CN': zhCN, en },
})

export const t = (key: string, named?: Record<string, unknown>): string =>
  named ? i18n.global.t(key, named) : i18n.global.t(key)

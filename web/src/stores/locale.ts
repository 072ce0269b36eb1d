import { defineStore } from 'pinia'
import { ref, watch } from 'vue'
import { i18n, LOCALE_STORAGE_KEY, normaliseLocale, type AppLocale } from '@/i18n'

export const useLocaleStore = defineStore('locale', () => {
  const locale = ref<AppLocale>(i18n.global.locale.value as AppLocale)

  function setLocale(next: string): void {
    locale.value = normaliseLocale(next)
  }

  watch(
    locale,
    (value) => {
      i18n.global.locale.value = value
      try {
        localStorage.setItem(LOCALE_STORAGE_KEY, value)
      } catch {
        /* storage may be unavailable (private mode); the choice then lasts for the page only */
      }
      document.documentElement.lang = value
    },
    { immediate: true },
  )

  return { locale, setLocale }
})

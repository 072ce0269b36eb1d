import type { RouteComponent, RouteMeta, RouteRecordRaw } from 'vue-router'

declare module 'vue-router' {
  interface RouteMeta {
    /** Reachable without signing in. */
    public?: boolean
    /** Permission code required to open the page. */
    permission?: string
    /** i18n key of the page title. */
    titleKey?: string
  }
}

/** A named page route whose view is loaded on first visit. */
export function page(
  path: string,
  name: string,
  view: () => Promise<RouteComponent | { default: RouteComponent }>,
  meta: RouteMeta,
): RouteRecordRaw {
  return { path, name, component: view, meta }
}

export const routes: RouteRecordRaw[] = [
  page('/login', 'login', () => import('@/views/LoginView.vue'), {
    public: true,
    titleKey: 'login.title',
  }),
  page('/verify', 'verify', () => import('@/views/VerifyView.vue'), {
    public: true,
    titleKey: 'verify.title',
  }),
  {
    path: '/',
    component: () => import('@/layouts/AppLayout.vue'),
    children: [
      { path: '', redirect: '/home' },
      page('home', 'home', () => import('@/views/HomeView.vue'), { titleKey: 'menu.home' }),
      page('matters', 'matters', () => import('@/views/MattersView.vue'), {
        permission: 'matter:item:read',
        titleKey: 'menu.matters',
      }),
      page('matters/new', 'matter-new', () => import('@/views/MatterCreateView.vue'), {
        permission: 'matter:item:read',
        titleKey: 'matters.new',
      }),
      page('matters/:id(\\d+)', 'matter', () => import('@/views/MatterDetailView.vue'), {
        permission: 'matter:item:read',
        titleKey: 'matters.detail',
      }),
      page('subjects', 'subjects', () => import('@/views/SubjectsView.vue'), {
        permission: 'matter:item:read',
        titleKey: 'menu.subjects',
      }),
      page('subjects/:id(\\d+)', 'subject', () => import('@/views/SubjectDetailView.vue'), {
        permission: 'matter:item:read',
        titleKey: 'subjects.detail',
      }),
      page('system/units', 'units', () => import('@/views/UnitsView.vue'), {
        permission: 'system:unit:list',
        titleKey: 'menu.units',
      }),
      page('system/users', 'users', () => import('@/views/UsersView.vue'), {
        permission: 'system:user:list',
        titleKey: 'menu.users',
      }),
      page('system/roles', 'roles', () => import('@/views/RolesView.vue'), {
        permission: 'system:role:list',
        titleKey: 'menu.roles',
      }),
      page('system/tokens', 'tokens', () => import('@/views/TokensView.vue'), {
        permission: 'system:token:list',
        titleKey: 'menu.tokens',
      }),
      page('audit', 'audit', () => import('@/views/AuditView.vue'), {
        permission: 'audit:event:list',
        titleKey: 'menu.audit',
      }),
      page('account', 'account', () => import('@/views/AccountView.vue'), {
        titleKey: 'menu.account',
      }),
      page('403', 'forbidden', () => import('@/views/ForbiddenView.vue'), {
        titleKey: 'errors.forbidden',
      }),
      page(':pathMatch(.*)*', 'not-found', () => import('@/views/NotFoundView.vue'), {
        titleKey: 'errors.notFound',
      }),
    ],
  },
]

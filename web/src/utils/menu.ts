/** Sidebar menu derived from the signed-in user's permissions. */

export interface MenuItem {
  /** Route path; also the menu index. */
  path: string
  /** i18n key of the label. */
  titleKey: string
  /** A label given as text (entries made from the procedure definitions); wins over titleKey. */
  title?: string
  /** Name of an @element-plus/icons-vue icon. */
  icon: string
  /** Permission required to see the entry; undefined = always shown. */
  permission?: string
  /** Stable id for tests (`menu-<id>`). */
  id: string
  children?: MenuItem[]
}

export const menuDefinition: MenuItem[] = [
  { id: 'home', path: '/home', titleKey: 'menu.home', icon: 'HomeFilled' },
  {
    id: 'matters',
    path: '/matters',
    titleKey: 'menu.matters',
    icon: 'Tickets',
    permission: 'matter:item:read',
  },
  {
    id: 'subjects',
    path: '/subjects',
    titleKey: 'menu.subjects',
    icon: 'Postcard',
    permission: 'matter:item:read',
  },
  {
    id: 'system',
    path: '/system',
    titleKey: 'menu.system',
    icon: 'Setting',
    children: [
      {
        id: 'units',
        path: '/system/units',
        titleKey: 'menu.units',
        icon: 'OfficeBuilding',
        permission: 'system:unit:list',
      },
      {
        id: 'users',
        path: '/system/users',
        titleKey: 'menu.users',
        icon: 'User',
        permission: 'system:user:list',
      },
      {
        id: 'roles',
        path: '/system/roles',
        titleKey: 'menu.roles',
        icon: 'Avatar',
        permission: 'system:role:list',
      },
      {
        id: 'tokens',
        path: '/system/tokens',
        titleKey: 'menu.tokens',
        icon: 'Key',
        permission: 'system:token:list',
      },
    ],
  },
  {
    id: 'audit',
    path: '/audit',
    titleKey: 'menu.audit',
    icon: 'Document',
    permission: 'audit:event:list',
  },
  { id: 'account', path: '/account', titleKey: 'menu.account', icon: 'UserFilled' },
]

/**
 * Returns the menu entries the holder of `permissions` may open. A group is kept only when at
 * least one child survives; the input definition is never modified.
 */
export function buildMenu(
  permissions: Iterable<string>,
  definition: MenuItem[] = menuDefinition,
): MenuItem[] {
  const granted = new Set(permissions)
  const result: MenuItem[] = []
  for (const item of definition) {
    if (item.permission && !granted.has(item.permission)) continue
    if (item.children) {
      const children = buildMenu(granted, item.children)
      if (children.length === 0) continue
      result.push({ ...item, children })
    } else {
      result.push({ ...item })
    }
  }
  return result
}

/** Flattens the menu into its leaf entries (quick links on the home page). */
export function menuLeaves(menu: MenuItem[]): MenuItem[] {
  return menu.flatMap((item) => (item.children ? menuLeaves(item.children) : [item]))
}

/**
 * Expands the matters entry into a group: every matter, then one entry per procedure kind
 * (`/matters?kind=<kind>`, labelled from the definitions). Without kinds the entry stays a
 * single link.
 */
export function withMatterKinds(
  menu: MenuItem[],
  kinds: { kind: string; label: string }[],
): MenuItem[] {
  if (kinds.length === 0) return menu
  return menu.map((item) =>
    item.id !== 'matters' || item.children
      ? item
      : {
          ...item,
          children: [
            { ...item, id: 'matters-all', titleKey: 'menu.mattersAll', icon: 'List' },
            ...kinds.map((k) => ({
              id: `matters-${k.kind}`,
              path: `/matters?kind=${encodeURIComponent(k.kind)}`,
              titleKey: 'menu.matters',
              title: k.label,
              icon: 'Tickets',
              permission: item.permission,
            })),
          ],
        },
  )
}

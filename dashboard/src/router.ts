// Paths in the address bar, routed in the page (the node answers index.html for the dashboard's
// own prefixes: /markets, /positions, /explorer, /panel).
import { useEffect, useState } from 'preact/hooks';

const subscribers = new Set<() => void>();
window.addEventListener('popstate', () => subscribers.forEach((s) => s()));

export function navigate(path: string) {
  if (path === location.pathname + location.search) return;
  history.pushState(null, '', path);
  window.scrollTo(0, 0);
  subscribers.forEach((s) => s());
}

export function usePath(): string {
  const [path, setPath] = useState(location.pathname);
  useEffect(() => {
    const update = () => setPath(location.pathname);
    subscribers.add(update);
    return () => void subscribers.delete(update);
  }, []);
  return path;
}

/** A link that navigates in the page (and keeps ctrl-click for a new tab). */
export function onLinkClick(e: MouseEvent) {
  const anchor = (e.target as HTMLElement).closest('a');
  if (!anchor || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey) return;
  const href = anchor.getAttribute('href');
  if (!href || !href.startsWith('/') || anchor.target || /^\/(v1|dev|health|metrics|openapi\.json)(\/|$)/.test(href)) return;
  e.preventDefault();
  navigate(href);
}

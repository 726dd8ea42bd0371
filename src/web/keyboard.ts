import { useEffect, useRef } from 'preact/hooks';

// Single-key shortcuts (j/k, r, n, a, s, /), ignored while typing in a field or with a modifier held.

export type Shortcuts = Partial<Record<'j' | 'k' | 'r' | 'n' | 'a' | 's' | '/' | 'Enter', () => void>>;

function typing(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el || !el.tagName) return false;
  return el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName);
}

export function useShortcuts(shortcuts: Shortcuts): void {
  const ref = useRef(shortcuts);
  ref.current = shortcuts;
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.ctrlKey || e.metaKey || e.altKey || typing(e.target)) return;
      if (e.key === 'Enter' && (e.target as HTMLElement | null)?.tagName !== 'BODY') return;
      const action = ref.current[e.key as keyof Shortcuts];
      if (!action) return;
      e.preventDefault();
      action();
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, []);
}

import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Session } from './api.js';
import type { Settings, User } from './types.js';

/** What every view reads: who is signed in, the case settings and the assignable users. */
export interface AppState {
  session: Session;
  settings: Settings;
  users: User[];
}

export const AppContext = createContext<AppState | null>(null);

export function useApp(): AppState {
  const state = useContext(AppContext);
  if (!state) throw new Error('useApp outside the app');
  return state;
}

/** The case numbers of the list as last shown, for j/k inside a case. */
export let listOrder: string[] = [];

export function setListOrder(numbers: string[]): void {
  listOrder = numbers;
}

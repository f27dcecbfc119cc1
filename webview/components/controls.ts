/**
 * The panels' controls. This is the only module that knows they come from
 * @vscode/webview-ui-toolkit, which its maintainers archived in January 2025: moving to
 * @vscode-elements/elements means changing this file only.
 */
import { provideVSCodeDesignSystem, vsCodeButton, vsCodeDropdown, vsCodeOption, vsCodeProgressRing, vsCodeTextField } from '@vscode/webview-ui-toolkit';

provideVSCodeDesignSystem().register(vsCodeButton(), vsCodeDropdown(), vsCodeOption(), vsCodeTextField(), vsCodeProgressRing());

export interface ButtonOptions {
  readonly appearance?: 'primary' | 'secondary' | 'icon';
  readonly title?: string;
  readonly id?: string;
  readonly disabled?: boolean;
  /** The name a screen reader announces, where the visible text alone says too little; it must contain that text. */
  readonly ariaLabel?: string;
}

export function button(label: string, onClick: () => void, options: ButtonOptions = {}): HTMLElement {
  const b = document.createElement('vscode-button');
  b.textContent = label;
  b.setAttribute('appearance', options.appearance ?? 'secondary');
  if (options.title) b.title = options.title;
  if (options.id) b.id = options.id;
  if (options.disabled) b.setAttribute('disabled', '');
  // An icon-appearance button is announced as "Icon Button" unless it is given a name.
  const name = options.ariaLabel ?? (options.appearance === 'icon' ? (options.title ?? label) : undefined);
  if (name) b.setAttribute('aria-label', name);
  b.addEventListener('click', () => {
    if (!b.hasAttribute('disabled')) onClick();
  });
  return b;
}

export function setDisabled(control: HTMLElement, disabled: boolean): void {
  control.toggleAttribute('disabled', disabled);
}

export interface Choice {
  readonly value: string;
  readonly label: string;
}

export interface Dropdown {
  readonly element: HTMLElement;
  value: string;
}

export function dropdown(choices: readonly Choice[], value: string, onChange: (value: string) => void, options: { id?: string; label: string }): Dropdown {
  const d = document.createElement('vscode-dropdown') as HTMLElement & { value: string };
  if (options.id) d.id = options.id;
  d.setAttribute('aria-label', options.label);
  for (const c of choices) {
    const o = document.createElement('vscode-option') as HTMLElement & { value: string };
    o.setAttribute('value', c.value);
    o.textContent = c.label;
    if (c.value === value) o.setAttribute('selected', '');
    d.append(o);
  }
  d.addEventListener('change', () => onChange(d.value));
  return {
    element: d,
    get value() {
      return d.value;
    },
    set value(v: string) {
      d.value = v;
    },
  };
}

export interface TextField {
  readonly element: HTMLElement;
  value: string;
}

export function textField(options: { id?: string; label: string; placeholder?: string; value?: string; size?: number; onEnter?: () => void }): TextField {
  const t = document.createElement('vscode-text-field') as HTMLElement & { value: string };
  if (options.id) t.id = options.id;
  t.setAttribute('aria-label', options.label);
  if (options.placeholder) t.setAttribute('placeholder', options.placeholder);
  if (options.size) t.setAttribute('size', String(options.size));
  t.value = options.value ?? '';
  if (options.onEnter) {
    const enter = options.onEnter;
    t.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') enter();
    });
  }
  return {
    element: t,
    get value() {
      return t.value;
    },
    set value(v: string) {
      t.value = v;
    },
  };
}

/**
 * A badge. Not the toolkit's: its template binds an inline `style` attribute, which the
 * panels' Content-Security-Policy (rightly) refuses. Same look, from the same theme variables.
 */
export function badge(text: string, title?: string): HTMLElement {
  const b = document.createElement('span');
  b.className = 'badge';
  b.textContent = text;
  if (title) b.title = title;
  return b;
}

export function progressRing(): HTMLElement {
  return document.createElement('vscode-progress-ring');
}

/**
 * The panels' controls. This is the only module that knows they come from
 * @vscode/webview-ui-toolkit, which its maintainers archived in January 2025: moving to
 * @vscode-elements/elements means changing this file only.
 */
import { provideVSCodeDesignSystem, vsCodeButton, vsCodeDropdown, vsCodeOption, vsCodeProgressRing } from '@vscode/webview-ui-toolkit';
import { controlOf } from '../shared/dom';

provideVSCodeDesignSystem().register(vsCodeButton(), vsCodeDropdown(), vsCodeOption(), vsCodeProgressRing());

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
  // A text field's wrapper holds the input that is disabled.
  (controlOf(control) ?? control).toggleAttribute('disabled', disabled);
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

/**
 * A text box: a native input styled with the theme's input colours, not the toolkit's text field,
 * whose inner input dropped the name set on it (screen readers said "Text field"). The wrapper
 * carries the id; the input carries the name.
 */
export function textField(options: { id?: string; label: string; placeholder?: string; value?: string; size?: number; onEnter?: () => void }): TextField {
  const wrap = document.createElement('span');
  wrap.className = 'text-field';
  if (options.id) wrap.id = options.id;
  const input = document.createElement('input');
  input.type = 'text';
  input.setAttribute('aria-label', options.label);
  if (options.placeholder) input.placeholder = options.placeholder;
  if (options.size) input.size = options.size;
  input.value = options.value ?? '';
  if (options.onEnter) {
    const enter = options.onEnter;
    input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') enter();
    });
  }
  wrap.append(input);
  return {
    element: wrap,
    get value() {
      return input.value;
    },
    set value(v: string) {
      input.value = v;
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

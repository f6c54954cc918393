import * as React from 'react';
import { styled } from 'styled-components';

const LINE_HEIGHT = 20;

const Frame = styled.div<{ $error: boolean }>`
  display: flex;
  border: 1px solid
    ${({ theme, $error }) => ($error ? theme.colors.danger600 : theme.colors.neutral200)};
  border-radius: ${({ theme }) => theme.borderRadius};
  background: ${({ theme }) => theme.colors.neutral0};
  overflow: hidden;
  &:focus-within {
    border-color: ${({ theme }) => theme.colors.primary600};
    box-shadow: ${({ theme }) => theme.colors.primary600} 0px 0px 0px 2px;
  }
`;

const Gutter = styled.div`
  flex: none;
  min-width: 40px;
  padding: 8px 0;
  overflow: hidden;
  text-align: right;
  user-select: none;
  background: ${({ theme }) => theme.colors.neutral100};
  border-right: 1px solid ${({ theme }) => theme.colors.neutral200};
`;

const LineNo = styled.div<{ $error: boolean }>`
  padding: 0 8px;
  height: ${LINE_HEIGHT}px;
  font:
    13px/${LINE_HEIGHT}px ui-monospace,
    SFMono-Regular,
    Menlo,
    Consolas,
    monospace;
  color: ${({ theme, $error }) => ($error ? theme.colors.danger700 : theme.colors.neutral500)};
  background: ${({ theme, $error }) => ($error ? theme.colors.danger100 : 'transparent')};
  font-weight: ${({ $error }) => ($error ? 700 : 400)};
`;

const Area = styled.textarea`
  flex: 1;
  min-width: 0;
  border: 0;
  outline: none;
  resize: vertical;
  padding: 8px;
  font:
    13px/${LINE_HEIGHT}px ui-monospace,
    SFMono-Regular,
    Menlo,
    Consolas,
    monospace;
  color: ${({ theme }) => theme.colors.neutral800};
  background: transparent;
  white-space: pre;
  tab-size: 2;
`;

interface CodeEditorProps {
  id: string;
  name: string;
  value: string;
  onChange: (value: string) => void;
  /** 1-based line to mark (from a server error message), if any. */
  errorLine?: number | null;
  hasError?: boolean;
  rows?: number;
  placeholder?: string;
  describedBy?: string;
  disabled?: boolean;
}

/**
 * A plain monospace editor with line numbers: enough for JSON templates and conditions, no
 * extra dependency. Tab inserts two spaces; the gutter scrolls with the text.
 */
export const CodeEditor = ({
  id,
  name,
  value,
  onChange,
  errorLine,
  hasError,
  rows = 12,
  placeholder,
  describedBy,
  disabled,
}: CodeEditorProps) => {
  const gutter = React.useRef<HTMLDivElement>(null);
  const lines = Math.max(value.split('\n').length, rows);
  return (
    <Frame $error={Boolean(hasError)}>
      <Gutter ref={gutter} aria-hidden style={{ height: rows * LINE_HEIGHT + 16 }}>
        {Array.from({ length: lines }, (_, i) => (
          <LineNo
            key={i}
            $error={errorLine === i + 1}
            data-error-line={errorLine === i + 1 ? 'true' : undefined}
          >
            {i + 1}
          </LineNo>
        ))}
      </Gutter>
      <Area
        id={id}
        name={name}
        value={value}
        rows={rows}
        placeholder={placeholder}
        spellCheck={false}
        wrap="off"
        disabled={disabled}
        aria-invalid={hasError || undefined}
        aria-describedby={describedBy}
        style={{ height: rows * LINE_HEIGHT + 16 }}
        onScroll={(e) => {
          if (gutter.current) gutter.current.scrollTop = e.currentTarget.scrollTop;
        }}
        onKeyDown={(e) => {
          if (e.key !== 'Tab' || e.shiftKey) return;
          e.preventDefault();
          const el = e.currentTarget;
          const { selectionStart: s, selectionEnd: end } = el;
          const next = `${value.slice(0, s)}  ${value.slice(end)}`;
          onChange(next);
          requestAnimationFrame(() => el.setSelectionRange(s + 2, s + 2));
        }}
        onChange={(e) => onChange(e.target.value)}
      />
    </Frame>
  );
};

/** The first "line N" mentioned in a server error message. */
export const lineFromError = (message: string | undefined | null): number | null => {
  const m = message ? /\bline (\d+)/i.exec(message) : null;
  return m ? Number(m[1]) : null;
};

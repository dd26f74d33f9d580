#!/usr/bin/env python3
"""Keeps docs/reference.md true to the public headers, and every compile-time message tested.

  check_reference.py reference <repo>       every public name in include/lifeguard (outside
                                            detail) is listed under its header in
                                            docs/reference.md, and every listed name exists
  check_reference.py compile-fail <repo>    every "lifeguard::ConnectionPool: ..." sentence in
                                            the headers is expected by a tests/compile_fail case
  check_reference.py names <repo>           prints the public names, by header (to write docs)

The C++ reader below is deliberately small: it understands the declarations our headers use
(namespaces, classes, enums, concepts, aliases, functions, variables), not all of C++. Names in
namespaces called detail or *_detail are internal. A
declaration it cannot name makes it fail loudly rather than skip silently.
"""
import pathlib
import re
import sys

# Hooks a policy or driver implements for a concept: documented once, under that concept's
# entry in docs/reference.md (this script checks they appear there), not per policy.
HOOKS = {
    'policy_kind', 'uses_clock', 'on_connect', 'on_checkout', 'expired', 'needs_ping', 'on_release',
    'decide', 'on_idle_limit', 'detects_fork', 'generation', 'dispose_inherited', 'on_use',
    'on_return', 'pending', 'clears_session', 'runs_in_background', 'spawns_threads', 'settings',
    'tracks_leases', 'on', 'lease_started', 'lease_ended', 'lease_check', 'flush', 'active',
    'setup', 'connection_state', 'connection_type', 'connect', 'close', 'ping', 'is_broken',
    'abandon', 'detach', 'socket_state', 'idle_limit', 'reset_start', 'reset_finish',
    'reset_session', 'in_transaction', 'rollback', 'now', 'duration', 'rep', 'period',
    'time_point', 'is_steady', 'multi_host', 'attach', 'choose', 'connected', 'connect_failed', 'broken',
    'closed', 'retire', 'host_of', 'connect_to', 'host_count',
}

# The pool's public interface is written in detail::basic_pool; users see it as ConnectionPool.
ALIASES = {('detail/basic_pool.hpp', 'basic_pool'): ('connection_pool.hpp', 'ConnectionPool')}

TOKEN = re.compile(r'[A-Za-z_]\w*|\d[\w.\']*|::|->|\.\.\.|\[\[|\]\]|\S')
KEYWORDS = {'const', 'constexpr', 'noexcept', 'override', 'final', 'static', 'inline', 'explicit',
            'virtual', 'friend', 'typename', 'template', 'requires', 'auto', 'decltype', 'void',
            'bool', 'int', 'char', 'unsigned', 'long', 'double', 'mutable', 'consteval', 'nodiscard'}


LEXEMES = re.compile(r'//[^\n]*|/\*.*?\*/|R"\((?:.*?)\)"|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])\'', re.S)


def strip(text):
    """The text without comments, string and character literals, and preprocessor lines."""
    def blank(m):
        lexeme = m.group(0)
        return ' ' if lexeme[0] == '/' else ('""' if lexeme[0] in 'R"' else "' '")
    text = LEXEMES.sub(blank, text)
    return re.sub(r'^\s*#[^\n]*(\\\n[^\n]*)*', ' ', text, flags=re.M)


def drop_template_head(toks):
    while toks[:1] == ['template'] and toks[1:2] == ['<']:
        depth, i = 0, 1
        while i < len(toks):
            depth += {'<': 1, '>': -1}.get(toks[i], 0)
            i += 1
            if depth == 0:
                break
        toks = toks[i:]
        if toks[:1] == ['requires']:  # a requires-clause: up to the declaration's class-key
            while toks and toks[0] not in ('class', 'struct', 'concept', 'using'):
                toks = toks[1:]
    return toks


def drop_attributes(toks):
    out, depth = [], 0
    for t in toks:
        if t == '[[':
            depth += 1
        elif t == ']]':
            depth -= 1
        elif depth == 0:
            out.append(t)
    return out


def top_level_index(toks, wanted):
    """Index of the first token in `wanted` outside (), <> and {} nesting, or None."""
    depth = angle = 0
    for i, t in enumerate(toks):
        if t in wanted and depth == 0 and angle == 0:
            return i
        if t in ('(', '{', '['):
            depth += 1
        elif t in (')', '}', ']'):
            depth -= 1
        elif t == '<' and depth == 0:
            angle += 1
        elif t == '>' and depth == 0 and angle > 0:
            angle -= 1
    return None


def declared_name(toks, where):
    """(kind, name) a declaration statement introduces, or None if it introduces no name."""
    toks = drop_attributes(drop_template_head(toks))
    if not toks or toks[0] in ('static_assert', 'friend', 'public', 'private', 'protected'):
        return None
    if toks[0] == 'using':
        if toks[1:2] == ['namespace'] or '=' not in toks:
            return None  # a using-directive or using-declaration (inherited constructors)
        return 'alias', toks[1]
    if toks[0] == 'concept':
        return 'concept', toks[1]
    for i, t in enumerate(toks[:3]):
        if t in ('class', 'struct', 'union', 'enum') and '(' not in toks[:i]:
            rest = [x for x in toks[i + 1:] if x not in ('class', 'struct')]
            if len(rest) == 1 or rest[1] in (':', 'final', '{}', '<'):
                return 'type', rest[0]
            break  # an elaborated type in a member's declaration: `class X* member`
    if toks[-2:] in (['=', 'delete'], ['=', 'default']):
        return None
    if 'operator' in toks:
        k = toks.index('operator')
        end = k + 2 if toks[k + 1] == '(' else toks.index('(', k + 1)
        return 'function', 'operator' + ''.join(toks[k + 1:end])
    paren, assign = top_level_index(toks, {'('}), top_level_index(toks, {'='})
    if paren is not None and (assign is None or paren < assign):
        j = paren - 1
        if j >= 1 and toks[j - 1] == '::':
            return None  # an out-of-class definition of something declared in its class
        if toks[j] == '>':  # a deduction guide or explicit specialization: the class's name
            return None
        return 'function', toks[j]
    end = assign if assign is not None else len(toks)
    names = [t for t in toks[:end] if re.match(r'[A-Za-z_]\w*$', t) and t not in KEYWORDS]
    if not names:
        raise SystemExit(f'{where}: cannot name the declaration {" ".join(toks)!r}')
    return 'variable', names[-1]


class Scope:
    def __init__(self, kind, name, public, access='public', own_name=None):
        self.kind, self.name, self.public, self.access = kind, name, public, access
        self.own_name = own_name or name  # a constructor's name (differs for an aliased class)


def public_names(path, rel):
    """{qualified name} declared in one header, visible to users."""
    toks = TOKEN.findall(strip(path.read_text()))
    names = set()
    stack = [Scope('namespace', '', True)]
    stmt = []
    recorded = False  # the current statement's name is recorded (its braces came before ;)
    i = 0

    def qualified(name):
        classes = [s.name for s in stack if s.kind in ('class', 'enum')]
        return '::'.join(classes + [name])

    def visible():
        top = stack[-1]
        return top.public and (top.kind == 'namespace' or top.access == 'public')

    def record(kind_name):
        if kind_name is None or not visible():
            return
        kind, name = kind_name
        top = stack[-1]
        if top.kind == 'class' and (name in (top.name, top.own_name) or name.startswith('~')):
            return  # constructors and destructors are the class's own entry
        names.add(qualified(name))

    while i < len(toks):
        t = toks[i]
        i += 1
        top = stack[-1]
        if top.kind == 'skip':
            if t == '{':
                stack.append(Scope('skip', '', False))
            elif t == '}':
                stack.pop()
            continue
        if top.kind == 'enum':
            if t == '}':
                stack.pop()
                stmt = []
                continue
            if re.match(r'[A-Za-z_]\w*$', t) and (not stmt or stmt[-1] == ','):
                if top.public:
                    names.add(qualified(t))
            stmt.append(t)
            continue
        if t in ('public', 'private', 'protected') and i < len(toks) and toks[i] == ':' and top.kind == 'class':
            top.access = t
            i += 1
            stmt = []
            continue
        if t == ';':
            if stmt and not recorded:
                kind_name = declared_name(stmt, rel)
                forward = kind_name is not None and kind_name[0] == 'type' and '{}' not in stmt
                record(None if forward else kind_name)
            stmt, recorded = [], False
            continue
        if t == '}':
            if stmt:
                raise SystemExit(f'{rel}: unterminated declaration {" ".join(stmt)!r}')
            stack.pop()
            # A class's closing brace is followed by ';' which ends an empty statement.
            continue
        if t == '{':
            head = drop_attributes(drop_template_head(stmt))
            if head[:1] == ['namespace']:
                parts = [x for x in head[1:] if x != '::']
                name = '::'.join(parts)
                public = top.public and bool(parts) and not any(x == 'detail' or x.endswith('_detail') for x in parts)
                stack.append(Scope('namespace', name, public))
                stmt = []
                continue
            key = 'enum' if 'enum' in head[:2] else next((k for k in ('class', 'struct', 'union') if k in head[:3]), None)
            if key and '(' not in head and '=' not in head:
                kind_name = declared_name(stmt, rel)
                record(kind_name)
                name = kind_name[1]
                alias = ALIASES.get((rel, name))
                public = visible() or alias is not None
                access = 'private' if key == 'class' else 'public'
                scope = Scope('enum' if key == 'enum' else 'class', alias[1] if alias else name, public, access, name)
                stack.append(scope)
                stmt, recorded = [], False
                continue
            # A function body, a brace initializer, a lambda or a requires-expression: skip
            # the braces; name the declaration first, and end the statement after them if
            # they were a function's body.
            balanced = stmt.count('(') == stmt.count(')')
            body = balanced and stmt and (stmt[-1] in (')', 'const', 'noexcept', 'override', 'final', 'mutable', '{}')
                                          or top_level_index(stmt, {'->'}) is not None)
            is_function = False
            if body and not recorded:
                kind_name = declared_name(stmt, rel)
                record(kind_name)
                recorded = True
                is_function = kind_name is None or kind_name[0] == 'function'
            depth = 1
            while depth:
                depth += {'{': 1, '}': -1}.get(toks[i], 0)
                i += 1
            if is_function and (i >= len(toks) or toks[i] != ';'):
                stmt, recorded = [], False
            else:
                stmt.append('{}')
            continue
        stmt.append(t)
    return names


def header_names(repo):
    include = repo / 'include' / 'lifeguard'
    by_header = {}
    for path in sorted(include.rglob('*.hpp')):
        rel = path.relative_to(include).as_posix()
        names = public_names(path, rel)
        if rel.startswith('detail/'):
            for (alias_file, _), (target, _) in ALIASES.items():
                if alias_file == rel:
                    by_header.setdefault(target, set()).update(n for n in names if '::' in n)
            continue
        by_header.setdefault(rel, set()).update(names)
    return {h: drop_hooks(ns) for h, ns in by_header.items()}


def drop_hooks(names):
    """Names without the concept hooks of policies, drivers and clocks (and what nests in them)."""
    def has(owner, *members):
        return all(f'{owner}::{m}' in names for m in members)
    owners = {n.rsplit('::', 1)[0] for n in names if '::' in n}
    hook_classes = {o for o in owners if has(o, 'policy_kind') or has(o, 'is_steady') or has(o, 'connect', 'ping')}
    kept = set()
    for n in names:
        parts = n.split('::')
        if not any('::'.join(parts[:i]) in hook_classes and parts[i] in HOOKS for i in range(1, len(parts))):
            kept.add(n)
    return kept


def unqualified(name):
    """A documented name without its namespaces (the headers' names carry classes only)."""
    return re.sub(r'^(lifeguard::)?((mariadb|testing|events)::)?', '', name)


def reference_names(text):
    """{header: {qualified name}} from docs/reference.md's `## <lifeguard/x.hpp>` sections."""
    by_header, header, owner = {}, None, None
    for number, line in enumerate(text.splitlines(), 1):
        m = re.match(r'## `<lifeguard/(.+)>`', line)
        if m:
            header, owner = m.group(1), None
            by_header.setdefault(header, set())
            continue
        m = re.match(r'### `([^`]+)`', line)
        if m:
            owner = unqualified(re.split(r'[<(]', m.group(1))[0])
            continue
        if line.startswith('## '):
            header = owner = None
            continue
        m = re.match(r'- ((?:`[^`]+`(?:, )?)+)', line)
        if m and header:
            for span in re.findall(r'`([^`]+)`', m.group(1)):
                name = re.split(r'[<(]', span)[0] if not span.startswith('operator') else \
                    span.split('(')[0].replace(' ', '') if span != 'operator()' else 'operator()'
                name = unqualified(name)
                by_header[header].add(f'{owner}::{name}' if owner else name)
    return by_header


def check_reference(repo):
    code = header_names(repo)
    text = (repo / 'docs' / 'reference.md').read_text()
    docs = reference_names(text)
    problems = []
    for header in sorted(set(code) | set(docs)):
        missing = sorted(code.get(header, set()) - docs.get(header, set()))
        stale = sorted(docs.get(header, set()) - code.get(header, set()))
        if header not in docs:
            problems.append(f'<lifeguard/{header}> has no section (## `<lifeguard/{header}>`)')
        for n in missing:
            problems.append(f'<lifeguard/{header}>: `{n}` is public but not listed')
        for n in stale:
            problems.append(f'<lifeguard/{header}>: `{n}` is listed but not declared there')
    spans = set(re.findall(r'`([A-Za-z_]\w*)', text))
    for hook in sorted(HOOKS):
        if hook not in spans:
            problems.append(f'hook `{hook}` is exempt from per-class listing but not documented under its concept')
    total = sum(len(v) for v in code.values())
    if total < 100:
        problems.append(f'only {total} public names found: the header reader is broken')
    for p in problems:
        print(p)
    print(f'{total} public names in {len(code)} headers; {len(problems)} problems')
    return 1 if problems else 0


def check_compile_fail(repo):
    sentences = set()
    for path in (repo / 'include' / 'lifeguard').rglob('*.hpp'):
        text = path.read_text()
        for m in re.finditer(r'static_assert\([^;]*?"lifeguard::ConnectionPool: ((?:[^"]|"\s*")*)"', text, re.S):
            sentences.add(re.sub(r'"\s*"', '', m.group(1)))
    expects = []
    for case in (repo / 'tests' / 'compile_fail').glob('*.cpp'):
        first = case.read_text().splitlines()[0]
        if first.startswith('// expect: '):
            expects.append((case.name, re.compile(first[len('// expect: '):])))
    problems = [s for s in sorted(sentences) if not any(e.search(s) for _, e in expects)]
    for s in problems:
        print(f'no tests/compile_fail case expects: {s}')
    print(f'{len(sentences)} messages, {len(expects)} cases; {len(problems)} untested')
    return 1 if problems or len(sentences) < 10 else 0


def main():
    what, repo = sys.argv[1], pathlib.Path(sys.argv[2])
    if what == 'reference':
        return check_reference(repo)
    if what == 'compile-fail':
        return check_compile_fail(repo)
    for header, names in sorted(header_names(repo).items()):
        print(f'== {header}')
        for n in sorted(names):
            print(f'   {n}')
    return 0


if __name__ == '__main__':
    sys.exit(main())

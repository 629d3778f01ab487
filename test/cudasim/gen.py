#!/usr/bin/env python3
"""Rewrites every  kernel<tmpl><<<grid, block[, shmem[, stream]]>>>(args);  of a .cu file into
sim_launch(grid, block, shmem, kernel<tmpl>, args);  (include/cuda_runtime.h). Usage: gen.py in.cu out.cc [name]
name: the file name that diagnostics and the simulator's barrier/shuffle sites report (#line);
default in.cu. A copy edited line for line (the small-grid variant, a mutant) can name the original."""
import re, sys

src = open(sys.argv[1]).read()
out, i, count = [], 0, 0
while True:
    j = src.find('<<<', i)
    if j < 0:
        out.append(src[i:]); break
    # kernel expression before <<<: identifier (with ::) optionally followed by balanced <...>
    k = j
    while k > 0 and src[k-1].isspace(): k -= 1
    if src[k-1] == '>':
        depth = 0
        while True:
            k -= 1
            if src[k] == '>': depth += 1
            elif src[k] == '<':
                depth -= 1
                if depth == 0: break
    while k > 0 and (src[k-1].isalnum() or src[k-1] in '_:'): k -= 1
    name = src[k:j].strip()
    e = src.index('>>>', j)
    inside = src[j+3:e]
    depth, parts, cur = 0, [], ''
    for ch in inside:
        if ch in '([{': depth += 1
        if ch in ')]}': depth -= 1
        if ch == ',' and depth == 0: parts.append(cur); cur = ''
        else: cur += ch
    parts.append(cur)
    assert 2 <= len(parts) <= 4, parts
    a = e + 3
    while src[a].isspace(): a += 1
    assert src[a] == '(', src[a:a+20]
    depth = 0
    for m in range(a, len(src)):
        if src[m] == '(': depth += 1
        elif src[m] == ')':
            depth -= 1
            if depth == 0: break
    args = src[a+1:m].strip()
    shmem = parts[2].strip() if len(parts) > 2 else '0'
    out.append(src[i:k])
    out.append(f'sim_launch(dim3({parts[0].strip()}), dim3({parts[1].strip()}), size_t({shmem}), {name}'
               + (f', {args}' if args else '') + ')')
    count += 1
    i = m + 1
name = sys.argv[3] if len(sys.argv) > 3 else sys.argv[1]
open(sys.argv[2], 'w').write(f'#line 1 "{name}"\n' + ''.join(out))
print(f'{sys.argv[1]}: {count} launches rewritten', file=sys.stderr)

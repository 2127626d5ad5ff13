/**
 * Jinja2's syntax where nunjucks' parser or compiler differs, patched into nunjucks' one parser and
 * compiler for our SQL templates only (while `active()`, as python-jinja.ts's other patches): slices
 * `x[1:]`, a trailing comma in a call or a list, `(x,)`, `{% set a, b = 1, 2 %}`, `{% set ns.x = … %}`
 * (a namespace() only, as in Jinja2), `{% for k in dict %}` (its keys), and Python's `%`. The new
 * syntax compiles to calls of internal filters (python-filters.ts: `__slice`, `__keys`, `__mod`).
 */
import nunjucks from 'nunjucks';

interface Token {
  type: string;
  value: string;
  lineno: number;
  colno: number;
}
type Node = { lineno: number; colno: number; children: Node[]; addChild(n: Node): void; [k: string]: unknown };
type NodeClass = new (lineno: number, colno: number, ...args: unknown[]) => Node;
interface ParserProto {
  peekToken(): Token;
  nextToken(): Token;
  pushToken(t: Token): void;
  skip(type: string): boolean;
  skipValue(type: string, value: string): boolean;
  skipSymbol(value: string): boolean;
  fail(message: string, lineno?: number, colno?: number): never;
  parseExpression(): Node;
  parsePrimary(noPostfix?: boolean): Node;
  parseSignature(tolerant?: boolean, noParens?: boolean): Node | null;
  parseAggregate(): Node | null;
  parsePostfix(node: Node): Node;
  parseSet(): Node;
  parseUntilBlocks(...names: string[]): Node;
  advanceAfterBlockEnd(name?: string): void;
}
interface CompilerProto {
  _emit(code: string): void;
  _emitLine(code: string): void;
  _tmpid(): string;
  _compileExpression(node: Node, frame: unknown): void;
  compileSet(node: Node, frame: unknown): void;
  compileFor(node: Node, frame: unknown): void;
  compileMod(node: Node, frame: unknown): void;
}

/** Jinja2's namespace(): the one object `{% set ns.attr = … %}` may assign to. */
export class Namespace {
  constructor(values: Record<string, unknown> = {}) {
    for (const [k, v] of Object.entries(values)) if (k !== '__keywords') (this as Record<string, unknown>)[k] = v;
  }
}

export function patchSyntax(active: () => boolean): void {
  const { lexer, nodes, parser, compiler } = nunjucks as unknown as {
    lexer: Record<string, string>;
    nodes: Record<string, NodeClass>;
    parser: { Parser: { prototype: ParserProto } };
    compiler: { Compiler: { prototype: CompilerProto } };
  };
  const P = parser.Parser.prototype;
  const C = compiler.Compiler.prototype;
  const T = lexer;
  /** An internal filter call: compiles to env.getFilter(name).call(context, ...args). */
  const filterCall = (at: Token | Node, name: string, args: Node[]) =>
    new nodes.Filter(at.lineno, at.colno, new nodes.Symbol(at.lineno, at.colno, name), new nodes.NodeList(at.lineno, at.colno, args));

  const { parsePostfix, parseSignature, parseAggregate, parseSet } = P;
  // `x[1:]`, `x[:-1]`, `x[::2]`: nunjucks reads the subscript as a list and refuses the colon.
  P.parsePostfix = function (this: ParserProto, node: Node) {
    if (!active()) return parsePostfix.call(this, node);
    for (let tok = this.peekToken(); tok; tok = this.peekToken()) {
      if (tok.type !== T.TOKEN_LEFT_BRACKET) {
        const before = node;
        node = parsePostfix.call(this, node);
        // nunjucks' own loop stops at a bracket: go on only when it moved.
        if (node === before) break;
        continue;
      }
      this.nextToken();
      const parts: Array<Node | null> = [null, null, null];
      let colons = 0;
      for (;;) {
        const t = this.peekToken();
        if (!t) this.fail('unexpected end of the template in a subscript', tok.lineno, tok.colno);
        if (t.type === T.TOKEN_RIGHT_BRACKET) {
          this.nextToken();
          break;
        }
        if (t.type === T.TOKEN_COLON) {
          this.nextToken();
          if (++colons > 2) this.fail('invalid slice', t.lineno, t.colno);
          continue;
        }
        if (parts[colons]) this.fail('invalid index', t.lineno, t.colno);
        parts[colons] = this.parseExpression();
      }
      if (colons) {
        const none = () => new nodes.Literal(tok.lineno, tok.colno, null);
        node = filterCall(tok, '__slice', [node, ...parts.map((p) => p ?? none())]);
      } else {
        if (!parts[0]) this.fail('invalid index', tok.lineno, tok.colno);
        node = new nodes.LookupVal(tok.lineno, tok.colno, node, parts[0]);
      }
    }
    return node;
  };

  // A comma before the closing parenthesis of a call: `f(a, b,)`.
  P.parseSignature = function (this: ParserProto, tolerant?: boolean, noParens?: boolean) {
    if (!active() || noParens) return parseSignature.call(this, tolerant, noParens);
    const tok = this.peekToken();
    if (tok.type !== T.TOKEN_LEFT_PAREN) {
      if (tolerant) return null;
      this.fail('expected arguments', tok.lineno, tok.colno);
    }
    this.nextToken();
    const args = new nodes.NodeList(tok.lineno, tok.colno);
    const kwargs = new nodes.KeywordArgs(tok.lineno, tok.colno);
    for (let first = true; ; first = false) {
      let t = this.peekToken();
      if (t.type === T.TOKEN_RIGHT_PAREN) {
        this.nextToken();
        break;
      }
      if (!first) {
        if (!this.skip(T.TOKEN_COMMA)) this.fail('parseSignature: expected comma after expression', t.lineno, t.colno);
        t = this.peekToken();
        if (t.type === T.TOKEN_RIGHT_PAREN) {
          this.nextToken();
          break;
        }
      }
      const arg = this.parseExpression();
      if (this.skipValue(T.TOKEN_OPERATOR, '=')) kwargs.addChild(new nodes.Pair(arg.lineno, arg.colno, arg, this.parseExpression()));
      else args.addChild(arg);
    }
    if (kwargs.children.length) args.addChild(kwargs);
    return args;
  };

  // `[a, b,]`, `{'k': 1,}`, and `(a,)`: a tuple of one.
  P.parseAggregate = function (this: ParserProto) {
    if (!active()) return parseAggregate.call(this);
    const tok = this.nextToken();
    const kind = tok.type === T.TOKEN_LEFT_PAREN ? 'Group' : tok.type === T.TOKEN_LEFT_BRACKET ? 'Array' : tok.type === T.TOKEN_LEFT_CURLY ? 'Dict' : undefined;
    if (!kind) return null;
    const node = new nodes[kind](tok.lineno, tok.colno);
    const closing = (type: string) => type === T.TOKEN_RIGHT_PAREN || type === T.TOKEN_RIGHT_BRACKET || type === T.TOKEN_RIGHT_CURLY;
    for (;;) {
      if (closing(this.peekToken().type)) {
        this.nextToken();
        break;
      }
      if (node.children.length) {
        if (!this.skip(T.TOKEN_COMMA)) this.fail('parseAggregate: expected comma after expression', tok.lineno, tok.colno);
        node.tuple = true;
        if (closing(this.peekToken().type)) continue;
      }
      if (kind === 'Dict') {
        const key = this.parsePrimary();
        if (!this.skip(T.TOKEN_COLON)) this.fail('parseAggregate: expected colon after dict key', tok.lineno, tok.colno);
        node.addChild(new nodes.Pair(key.lineno, key.colno, key, this.parseExpression()));
      } else node.addChild(this.parseExpression());
    }
    return node;
  };

  // `{% set a, b = 1, 2 %}`: the values after the first comma make a tuple to unpack (nunjucks' own, otherwise).
  P.parseSet = function (this: ParserProto) {
    if (!active()) return parseSet.call(this);
    const tag = this.peekToken();
    if (!this.skipSymbol('set')) this.fail('parseSet: expected set', tag.lineno, tag.colno);
    const node = new nodes.Set(tag.lineno, tag.colno, []);
    const targets = node.targets as Node[];
    do targets.push(this.parsePrimary());
    while (this.skip(T.TOKEN_COMMA));
    if (!this.skipValue(T.TOKEN_OPERATOR, '=')) {
      if (!this.skip(T.TOKEN_BLOCK_END)) this.fail('parseSet: expected = or block end in set tag', tag.lineno, tag.colno);
      node.body = new nodes.Capture(tag.lineno, tag.colno, this.parseUntilBlocks('endset'));
      node.value = null;
      this.advanceAfterBlockEnd();
      return node;
    }
    const first = this.parseExpression();
    if (this.peekToken().type === T.TOKEN_COMMA) {
      const tuple = new nodes.Array(first.lineno, first.colno, [first]);
      while (this.skip(T.TOKEN_COMMA) && this.peekToken().type !== T.TOKEN_BLOCK_END) tuple.addChild(this.parseExpression());
      node.value = tuple;
    } else node.value = first;
    this.advanceAfterBlockEnd(tag.value);
    return node;
  };

  const { compileSet, compileFor, compileMod } = C;
  C.compileSet = function (this: CompilerProto, node: Node, frame: unknown) {
    const targets = node.targets as Node[];
    if (!active() || !node.value) return compileSet.call(this, node, frame);
    if (targets.length === 1 && targets[0] instanceof nodes.LookupVal) {
      // Jinja2 assigns attributes of a namespace() only.
      const t = targets[0];
      this._emit(
        '(function(o, k, v) { if (!(o instanceof runtime.__Namespace)) throw new Error("cannot assign attribute on non-namespace object"); o[k] = v; })(',
      );
      this._compileExpression(t.target as Node, frame);
      this._emit(', ');
      this._compileExpression(t.val as Node, frame);
      this._emit(', ');
      this._compileExpression(node.value as Node, frame);
      this._emitLine(');');
      return;
    }
    if (targets.length < 2) return compileSet.call(this, node, frame);
    // Unpacking: the value once, then each name set from it as nunjucks sets one.
    const tmp = this._tmpid();
    this._emit(`var ${tmp} = runtime.fromIterator(`);
    this._compileExpression(node.value as Node, frame);
    this._emitLine(');');
    this._emitLine(
      `if (!${tmp} || ${tmp}.length !== ${targets.length}) throw new Error("cannot unpack " + (${tmp} && ${tmp}.length) + " values into ${targets.length} names");`,
    );
    targets.forEach((target, i) => {
      const one = new nodes.Set(node.lineno, node.colno, [target]);
      one.value = new nodes.LookupVal(
        node.lineno,
        node.colno,
        new nodes.Symbol(node.lineno, node.colno, '__unpacked'),
        new nodes.Literal(node.lineno, node.colno, i),
      );
      // The symbol is compiled as a lookup of a local name: point it at the temporary.
      (frame as { set(name: string, id: string): void }).set('__unpacked', tmp);
      compileSet.call(this, one, frame);
    });
  };
  C.compileFor = function (this: CompilerProto, node: Node, frame: unknown) {
    // Over a dict, one name gets its keys (nunjucks iterates nothing); `k, v in d` stays nunjucks' pairs.
    if (active() && !(node.name instanceof nodes.Array) && !(node.arr as Node & { __keys?: boolean }).__keys) {
      node.arr = filterCall(node.arr as Node, '__keys', [node.arr as Node]);
      (node.arr as Node & { __keys?: boolean }).__keys = true;
    }
    return compileFor.call(this, node, frame);
  };
  C.compileMod = function (this: CompilerProto, node: Node, frame: unknown) {
    if (!active()) return compileMod.call(this, node, frame);
    this._emit('env.getFilter("__mod").call(context, ');
    this._compileExpression(node.left as Node, frame);
    this._emit(', ');
    this._compileExpression(node.right as Node, frame);
    this._emit(')');
  };
  (nunjucks as unknown as { runtime: Record<string, unknown> }).runtime.__Namespace = Namespace;
}

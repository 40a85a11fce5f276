using System.Buffers.Binary;
using System.Numerics;
using System.Text;

namespace FedPrompt.Model.Checkpoints;

/// <summary>
/// Reads a pickle without executing anything. It understands every opcode Python 3 writes at protocols 2
/// to 5 (out-of-band buffers and the extension registry aside); class and function references become
/// <see cref="PickleGlobal"/> names whose meaning the <see cref="IPickleEnvironment"/> decides.
/// </summary>
/// <remarks>
/// Values come out as: None → null, bool, long (or BigInteger beyond 64 bits), double, string,
/// byte[] (bytes and bytearray), object?[] (tuple), List&lt;object?&gt; (list), <see cref="PickleDict"/>,
/// HashSet&lt;object?&gt; (set and frozenset), and whatever the environment builds.
/// </remarks>
internal sealed class PickleReader
{
    private const int HighestProtocol = 5;

    private readonly byte[] _pickle;
    private readonly string _source;
    private readonly IPickleEnvironment _environment;
    private readonly List<object?> _stack = [];
    // Stack positions of the open MARKs, innermost last.
    private readonly Stack<int> _marks = new();
    private readonly Dictionary<long, object?> _memo = [];
    private int _position;
    private int _opcodeOffset;

    private PickleReader(byte[] pickle, string source, IPickleEnvironment environment)
    {
        _pickle = pickle;
        _source = source;
        _environment = environment;
    }

    /// <param name="source">Names the pickle in error messages.</param>
    /// <exception cref="InvalidDataException">The pickle is malformed or uses an opcode this reader does not
    /// support; the message starts with <paramref name="source"/> and gives the opcode's offset.</exception>
    public static object? Load(byte[] pickle, string source, IPickleEnvironment environment) =>
        new PickleReader(pickle, source, environment).Run();

    private object? Run()
    {
        while (true)
        {
            _opcodeOffset = _position;
            var opcode = (PickleOpcode)ReadByte();
            switch (opcode)
            {
                case PickleOpcode.PROTO:
                    var protocol = ReadByte();
                    if (protocol > HighestProtocol)
                        throw new InvalidDataException($"{_source}: unsupported pickle protocol {protocol} (the newest this reader knows is {HighestProtocol})");
                    break;
                case PickleOpcode.FRAME:
                    Read(8); // frames only tell a streaming reader how much to buffer
                    break;
                case PickleOpcode.STOP:
                    return Pop();

                case PickleOpcode.MARK:
                    _marks.Push(_stack.Count);
                    break;
                case PickleOpcode.POP:
                    if (_stack.Count > FrameStart)
                        Pop();
                    else
                        PopMark();
                    break;
                case PickleOpcode.POP_MARK:
                    PopMark();
                    break;

                case PickleOpcode.NONE:
                    Push(null);
                    break;
                case PickleOpcode.NEWTRUE:
                    Push(true);
                    break;
                case PickleOpcode.NEWFALSE:
                    Push(false);
                    break;
                case PickleOpcode.BININT:
                    Push((long)BinaryPrimitives.ReadInt32LittleEndian(Read(4)));
                    break;
                case PickleOpcode.BININT1:
                    Push((long)ReadByte());
                    break;
                case PickleOpcode.BININT2:
                    Push((long)BinaryPrimitives.ReadUInt16LittleEndian(Read(2)));
                    break;
                case PickleOpcode.LONG1:
                    Push(Integer(Read(ReadByte())));
                    break;
                case PickleOpcode.LONG4:
                    var byteCount = BinaryPrimitives.ReadInt32LittleEndian(Read(4));
                    Push(Integer(Read(byteCount >= 0 ? ReadLength((ulong)byteCount) : throw Malformed("LONG4 has a negative length"))));
                    break;
                case PickleOpcode.BINFLOAT:
                    Push(BinaryPrimitives.ReadDoubleBigEndian(Read(8)));
                    break;

                case PickleOpcode.SHORT_BINUNICODE:
                    Push(Encoding.UTF8.GetString(Read(ReadByte())));
                    break;
                case PickleOpcode.BINUNICODE:
                    Push(Encoding.UTF8.GetString(Read(ReadLength(BinaryPrimitives.ReadUInt32LittleEndian(Read(4))))));
                    break;
                case PickleOpcode.BINUNICODE8:
                    Push(Encoding.UTF8.GetString(Read(ReadLength(BinaryPrimitives.ReadUInt64LittleEndian(Read(8))))));
                    break;
                case PickleOpcode.SHORT_BINBYTES:
                    Push(Read(ReadByte()).ToArray());
                    break;
                case PickleOpcode.BINBYTES:
                    Push(Read(ReadLength(BinaryPrimitives.ReadUInt32LittleEndian(Read(4)))).ToArray());
                    break;
                case PickleOpcode.BINBYTES8:
                case PickleOpcode.BYTEARRAY8:
                    Push(Read(ReadLength(BinaryPrimitives.ReadUInt64LittleEndian(Read(8)))).ToArray());
                    break;

                case PickleOpcode.EMPTY_TUPLE:
                    Push(Array.Empty<object?>());
                    break;
                case PickleOpcode.TUPLE:
                    Push(PopMark());
                    break;
                case PickleOpcode.TUPLE1:
                    Push(PopMany(1));
                    break;
                case PickleOpcode.TUPLE2:
                    Push(PopMany(2));
                    break;
                case PickleOpcode.TUPLE3:
                    Push(PopMany(3));
                    break;

                case PickleOpcode.EMPTY_LIST:
                    Push(new List<object?>());
                    break;
                case PickleOpcode.APPEND:
                    Append(PopMany(1));
                    break;
                case PickleOpcode.APPENDS:
                    Append(PopMark());
                    break;

                case PickleOpcode.EMPTY_DICT:
                    Push(new PickleDict());
                    break;
                case PickleOpcode.SETITEM:
                    SetItems(PopMany(2));
                    break;
                case PickleOpcode.SETITEMS:
                    SetItems(PopMark());
                    break;

                case PickleOpcode.EMPTY_SET:
                    Push(new HashSet<object?>());
                    break;
                case PickleOpcode.ADDITEMS:
                    AddItems(PopMark());
                    break;
                case PickleOpcode.FROZENSET:
                    Push(new HashSet<object?>(PopMark()));
                    break;

                case PickleOpcode.GLOBAL:
                    var module = ReadLine();
                    Push(new PickleGlobal(module, ReadLine()));
                    break;
                case PickleOpcode.STACK_GLOBAL:
                    var name = Pop<string>("STACK_GLOBAL name");
                    Push(new PickleGlobal(Pop<string>("STACK_GLOBAL module"), name));
                    break;
                case PickleOpcode.REDUCE:
                case PickleOpcode.NEWOBJ:
                    var arguments = Pop<object?[]>("arguments tuple");
                    Push(Construct(Pop(), arguments));
                    break;
                case PickleOpcode.NEWOBJ_EX:
                    Pop<PickleDict>("keyword arguments"); // only ever seen for classes the environment leaves opaque
                    var positional = Pop<object?[]>("arguments tuple");
                    Push(Construct(Pop(), positional));
                    break;
                case PickleOpcode.BUILD:
                    Pop(); // state only matters to objects we build opaque, and those keep none
                    Peek();
                    break;
                case PickleOpcode.BINPERSID:
                    var persistentId = Pop();
                    Push(Environment(() => _environment.LoadPersistent(persistentId)));
                    break;

                case PickleOpcode.BINGET:
                    Push(Recall(ReadByte()));
                    break;
                case PickleOpcode.LONG_BINGET:
                    Push(Recall(BinaryPrimitives.ReadUInt32LittleEndian(Read(4))));
                    break;
                case PickleOpcode.BINPUT:
                    _memo[ReadByte()] = Peek();
                    break;
                case PickleOpcode.LONG_BINPUT:
                    _memo[BinaryPrimitives.ReadUInt32LittleEndian(Read(4))] = Peek();
                    break;
                case PickleOpcode.MEMOIZE:
                    _memo[_memo.Count] = Peek();
                    break;

                default:
                    var kind = Enum.IsDefined(opcode) ? $"unsupported pickle opcode {opcode}" : "unknown pickle opcode";
                    throw new InvalidDataException($"{_source}: {kind} (0x{(byte)opcode:x2}) at offset {_opcodeOffset}");
            }
        }
    }

    private object? Construct(object? callable, object?[] arguments) =>
        callable is PickleGlobal global ? Environment(() => _environment.Construct(global, arguments)) : new PickleOpaque(null);

    /// <summary>Environment errors say what was wrong; this adds where.</summary>
    private object? Environment(Func<object?> call)
    {
        try
        {
            return call();
        }
        catch (InvalidDataException e)
        {
            throw Malformed(e.Message);
        }
    }

    private void Append(object?[] items)
    {
        switch (Peek())
        {
            case List<object?> list:
                list.AddRange(items);
                break;
            case PickleOpaque:
                break;
            case var other:
                throw Malformed($"cannot append to {Describe(other)}");
        }
    }

    private void SetItems(object?[] keysAndValues)
    {
        if (keysAndValues.Length % 2 != 0)
            throw Malformed("SETITEMS got a key without a value");
        switch (Peek())
        {
            case PickleDict dict:
                for (var i = 0; i < keysAndValues.Length; i += 2)
                    dict.Set(keysAndValues[i], keysAndValues[i + 1]);
                break;
            case PickleOpaque:
                break;
            case var other:
                throw Malformed($"cannot set items of {Describe(other)}");
        }
    }

    private void AddItems(object?[] items)
    {
        switch (Peek())
        {
            case HashSet<object?> set:
                set.UnionWith(items);
                break;
            case PickleOpaque:
                break;
            case var other:
                throw Malformed($"cannot add items to {Describe(other)}");
        }
    }

    private object? Recall(long index) =>
        _memo.TryGetValue(index, out var value) ? value : throw Malformed($"memo slot {index} was never stored");

    private static object Integer(ReadOnlySpan<byte> littleEndianTwosComplement)
    {
        var value = new BigInteger(littleEndianTwosComplement, isUnsigned: false, isBigEndian: false);
        return value >= long.MinValue && value <= long.MaxValue ? (long)value : value;
    }

    // ---------------------------------------------------------------- the stack

    private int FrameStart => _marks.Count > 0 ? _marks.Peek() : 0;

    private void Push(object? value) => _stack.Add(value);

    private object? Peek() => _stack.Count > FrameStart ? _stack[^1] : throw Malformed("the stack is empty");

    private object? Pop()
    {
        var value = Peek();
        _stack.RemoveAt(_stack.Count - 1);
        return value;
    }

    private T Pop<T>(string what) => Pop() is T value ? value : throw Malformed($"expected {what}");

    private object?[] PopMany(int count)
    {
        if (_stack.Count - FrameStart < count)
            throw Malformed($"needs {count} values but the stack holds fewer");
        var items = _stack.GetRange(_stack.Count - count, count).ToArray();
        _stack.RemoveRange(_stack.Count - count, count);
        return items;
    }

    private object?[] PopMark()
    {
        if (_marks.Count == 0)
            throw Malformed("no MARK to pop to");
        var start = _marks.Pop();
        var items = _stack.GetRange(start, _stack.Count - start).ToArray();
        _stack.RemoveRange(start, _stack.Count - start);
        return items;
    }

    // ---------------------------------------------------------------- the bytes

    private byte ReadByte() => Read(1)[0];

    private ReadOnlySpan<byte> Read(int count)
    {
        if (count > _pickle.Length - _position)
            throw Malformed("the pickle ends before its STOP opcode");
        var bytes = _pickle.AsSpan(_position, count);
        _position += count;
        return bytes;
    }

    private int ReadLength(ulong length) =>
        length <= (ulong)(_pickle.Length - _position) ? (int)length : throw Malformed($"length {length} runs past the end of the pickle");

    private string ReadLine()
    {
        var end = Array.IndexOf(_pickle, (byte)'\n', _position);
        if (end < 0)
            throw Malformed("the pickle ends inside a GLOBAL name");
        var line = Encoding.UTF8.GetString(_pickle, _position, end - _position);
        _position = end + 1;
        return line;
    }

    private InvalidDataException Malformed(string problem) => new($"{_source}: malformed pickle at offset {_opcodeOffset}: {problem}");

    /// <summary>A pickled value's Python kind, for error messages.</summary>
    public static string Describe(object? value) => value switch
    {
        null => "None",
        bool => "a bool",
        long or BigInteger => "an int",
        double => "a float",
        string => "a str",
        byte[] => "bytes",
        object[] => "a tuple",
        List<object?> => "a list",
        PickleDict => "a dict",
        HashSet<object?> => "a set",
        PickleGlobal global => $"the name {global}",
        PickleOpaque opaque => opaque.ToString(),
        _ => $"a {value.GetType().Name}",
    };
}

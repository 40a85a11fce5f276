namespace FedPrompt.Model.Checkpoints;

/// <summary>
/// Every opcode of pickle protocols 0 to 5, named as Python's pickle module and pickletools name them so
/// that error messages can be matched against a <c>pickletools.dis</c> listing.
/// </summary>
internal enum PickleOpcode : byte
{
    MARK = (byte)'(',
    STOP = (byte)'.',
    POP = (byte)'0',
    POP_MARK = (byte)'1',
    DUP = (byte)'2',
    FLOAT = (byte)'F',
    INT = (byte)'I',
    BININT = (byte)'J',
    BININT1 = (byte)'K',
    LONG = (byte)'L',
    BININT2 = (byte)'M',
    NONE = (byte)'N',
    PERSID = (byte)'P',
    BINPERSID = (byte)'Q',
    REDUCE = (byte)'R',
    STRING = (byte)'S',
    BINSTRING = (byte)'T',
    SHORT_BINSTRING = (byte)'U',
    UNICODE = (byte)'V',
    BINUNICODE = (byte)'X',
    APPEND = (byte)'a',
    BUILD = (byte)'b',
    GLOBAL = (byte)'c',
    DICT = (byte)'d',
    EMPTY_DICT = (byte)'}',
    APPENDS = (byte)'e',
    GET = (byte)'g',
    BINGET = (byte)'h',
    INST = (byte)'i',
    LONG_BINGET = (byte)'j',
    LIST = (byte)'l',
    EMPTY_LIST = (byte)']',
    OBJ = (byte)'o',
    PUT = (byte)'p',
    BINPUT = (byte)'q',
    LONG_BINPUT = (byte)'r',
    SETITEM = (byte)'s',
    TUPLE = (byte)'t',
    EMPTY_TUPLE = (byte)')',
    SETITEMS = (byte)'u',
    BINFLOAT = (byte)'G',

    // Protocol 2
    PROTO = 0x80,
    NEWOBJ = 0x81,
    EXT1 = 0x82,
    EXT2 = 0x83,
    EXT4 = 0x84,
    TUPLE1 = 0x85,
    TUPLE2 = 0x86,
    TUPLE3 = 0x87,
    NEWTRUE = 0x88,
    NEWFALSE = 0x89,
    LONG1 = 0x8a,
    LONG4 = 0x8b,

    // Protocol 3
    BINBYTES = (byte)'B',
    SHORT_BINBYTES = (byte)'C',

    // Protocol 4
    SHORT_BINUNICODE = 0x8c,
    BINUNICODE8 = 0x8d,
    BINBYTES8 = 0x8e,
    EMPTY_SET = 0x8f,
    ADDITEMS = 0x90,
    FROZENSET = 0x91,
    NEWOBJ_EX = 0x92,
    STACK_GLOBAL = 0x93,
    MEMOIZE = 0x94,
    FRAME = 0x95,

    // Protocol 5
    BYTEARRAY8 = 0x96,
    NEXT_BUFFER = 0x97,
    READONLY_BUFFER = 0x98,
}

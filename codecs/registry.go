package codecs

// registry holds one constructor per codec: adding a codec is one package
// and one line here.
var registry = []func(Options) Codec{}

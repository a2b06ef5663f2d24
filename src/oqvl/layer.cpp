// Compiled into every layer library so that a layer whose folder is still empty (early in a
// layer's life) is a valid static library.
namespace oqvl::detail {
int layer_anchor = 0;
}

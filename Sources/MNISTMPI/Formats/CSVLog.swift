/// The per-epoch log in the shape of Keras's `CSVLogger`: a header row
/// `epoch,accuracy,loss[,val_accuracy,val_loss]` (Keras sorts the keys), epochs from 0.
public enum CSVLog {
    /// One row per epoch; validation columns appear when any epoch has them (empty where absent).
    public static func text(accuracy: [Double], loss: [Double], validation: [(accuracy: Double, loss: Double)?]) -> String {
        let withValidation = validation.contains { $0 != nil }
        var lines = ["epoch,accuracy,loss" + (withValidation ? ",val_accuracy,val_loss" : "")]
        for e in loss.indices {
            var row = "\(e),\(accuracy[e]),\(loss[e])"
            if withValidation {
                let v = e < validation.count ? validation[e] : nil
                row += v.map { ",\($0.accuracy),\($0.loss)" } ?? ",,"
            }
            lines.append(row)
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
